"""The bundled examples render without error, and every manifest they produce is valid Kubernetes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from vessel.addons.catalog import BUILTIN
from vessel.cli.main import app as cli

kubernetes_validate = pytest.importorskip("kubernetes_validate")
EXAMPLES = sorted((Path(__file__).parent.parent / "examples").rglob("*.yaml"))
# Examples bound to the shared services use the `uses` trait of the built-in `bindings` addon.
BINDINGS = Path(BUILTIN.location) / "bindings" / "definitions"
ADDON_DEFINITIONS = {"shop-local": ["--definitions", str(BINDINGS)]}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_example_renders_valid_manifests(example: Path) -> None:
    extra = ADDON_DEFINITIONS.get(example.parent.name, [])
    result = CliRunner().invoke(cli, ["dry-run", "-f", str(example), *extra])
    assert result.exit_code == 0, result.output
    manifests = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert manifests
    for manifest in manifests:
        kubernetes_validate.validate(manifest, "1.31", strict=True)
