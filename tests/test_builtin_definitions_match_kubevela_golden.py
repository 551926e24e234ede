"""Every built-in definition renders what KubeVela renders for the same properties, and every manifest
it renders is valid against the Kubernetes OpenAPI schema."""

from __future__ import annotations

import pytest
import yaml

from golden_cases import FIXTURES, Case, all_cases
from vessel.definitions import Kind, build_registry, builtin_definitions, load_path
from vessel.errors import VesselError
from vessel.model import parse_application, read_text
from vessel.render import ClusterVersion, RenderOptions, render_application, resources

kubernetes_validate = pytest.importorskip("kubernetes_validate")
K8S_VERSION = "1.31"
CASES = all_cases()


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    return build_registry(documents=load_path(FIXTURES), plugins=False)


def _render(case: Case, registry):  # type: ignore[no-untyped-def]
    text = yaml.safe_dump(case.application(), sort_keys=False)
    app = parse_application(read_text(text, str(case.path))[0])
    options = RenderOptions(
        target_type=case.data.get("targetType", "kubernetes"),
        target="local",
        cluster_version=ClusterVersion(*case.cluster_version),
    )
    return [r.body for r in resources(render_application(app, registry, options))]


@pytest.mark.parametrize("case", [c for c in CASES if "expected" in c.data], ids=lambda c: c.id)
def test_renders_like_kubevela(case: Case, registry) -> None:  # type: ignore[no-untyped-def]
    assert _render(case, registry) == case.data["expected"]


@pytest.mark.parametrize("case", [c for c in CASES if "expected_error" in c.data], ids=lambda c: c.id)
def test_bad_properties_are_rejected(case: Case, registry) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(VesselError) as err:
        _render(case, registry)
    assert case.data["expected_error"] in str(err.value)


@pytest.mark.parametrize("case", [c for c in CASES if "expected" in c.data], ids=lambda c: c.id)
def test_rendered_manifests_are_valid_kubernetes(case: Case, registry) -> None:  # type: ignore[no-untyped-def]
    if case.data.get("targetType", "kubernetes") != "kubernetes":
        pytest.skip("not a Kubernetes rendering")
    version = case.data.get("clusterVersion", K8S_VERSION)
    if version not in {".".join(v.split(".")[:2]) for v in kubernetes_validate.utils.all_versions()}:
        pytest.skip(f"kubernetes-validate has no schemas for Kubernetes {version}")
    for manifest in _render(case, registry):
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            continue  # a custom resource: no OpenAPI schema to check against
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{manifest['kind']} {manifest['metadata']['name']}: {str(exc).splitlines()[0]}")


@pytest.mark.parametrize(
    "definition",
    [d for d in builtin_definitions() if d.kind in (Kind.COMPONENT, Kind.TRAIT)],
    ids=lambda d: d.name,
)
def test_every_builtin_has_golden_cases(definition) -> None:  # type: ignore[no-untyped-def]
    assert any(c.definition == definition.name and "expected" in c.data for c in CASES), (
        f"add tests/golden/{definition.name}/<case>.yaml"
    )
