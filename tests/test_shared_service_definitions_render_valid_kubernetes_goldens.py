"""The built-in `postgresql`, `redis` and `bindings` addons' definitions render, for Kubernetes, the
manifests in tests/golden_addons/ — and every one is valid against the Kubernetes OpenAPI schema (as the
built-in definitions' goldens are). No golden holds a password: the Secrets carry only the annotation
asking the target to generate one. Unlike tests/golden/, these have no KubeVela counterpart: they pin
down Vessel's own design (docs/addons.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from golden_cases import Case
from vessel.addons.catalog import BUILTIN
from vessel.definitions import build_registry, load_path
from vessel.definitions.registry import Registry
from vessel.errors import VesselError
from vessel.model import parse_application, read_text
from vessel.render import ClusterVersion, RenderOptions, render_application, resources

kubernetes_validate = pytest.importorskip("kubernetes_validate")
GOLDEN = Path(__file__).parent / "golden_addons"
ADDONS = ("bindings", "postgresql", "redis")
CASES = [
    Case(folder.name, file.stem, file, yaml.safe_load(file.read_text()))
    for folder in sorted(p for p in GOLDEN.iterdir() if p.is_dir())
    for file in sorted(folder.glob("*.yaml"))
]


@pytest.fixture(scope="module")
def registry() -> Registry:
    documents = [doc for name in ADDONS for doc in load_path(Path(BUILTIN.location) / name / "definitions")]
    return build_registry(documents=documents, plugins=False)


def render(case: Case, registry: Registry) -> list[dict[str, object]]:
    app = parse_application(read_text(yaml.safe_dump(case.application(), sort_keys=False), str(case.path))[0])
    options = RenderOptions(target_type="kubernetes", target="k", cluster_version=ClusterVersion("1", "31"))
    return [dict(r.body) for r in resources(render_application(app, registry, options))]


@pytest.mark.parametrize("case", [c for c in CASES if "expected" in c.data], ids=lambda c: c.id)
def test_renders_its_golden_manifests(case: Case, registry: Registry) -> None:
    assert render(case, registry) == case.data["expected"]


@pytest.mark.parametrize("case", [c for c in CASES if "expected" in c.data], ids=lambda c: c.id)
def test_every_manifest_is_valid_kubernetes_and_no_secret_has_data(case: Case, registry: Registry) -> None:
    for manifest in render(case, registry):
        try:
            kubernetes_validate.validate(manifest, "1.31", strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{manifest['kind']}: {str(exc).splitlines()[0]}")
        if manifest["kind"] == "Secret":
            assert "data" not in manifest and "stringData" not in manifest


@pytest.mark.parametrize("case", [c for c in CASES if "expected_error" in c.data], ids=lambda c: c.id)
def test_refused_properties_are_one_clear_error(case: Case, registry: Registry) -> None:
    with pytest.raises(VesselError) as err:
        render(case, registry)
    assert case.data["expected_error"] in str(err.value)


@pytest.mark.parametrize("definition", ["postgresql-server", "redis-server", "uses"])
def test_every_shared_service_definition_has_golden_cases(definition: str) -> None:
    assert any(c.definition == definition and "expected" in c.data for c in CASES)
