"""The bundled examples render without error, and every manifest they produce is valid Kubernetes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from vessel.cli.main import app as cli

kubernetes_validate = pytest.importorskip("kubernetes_validate")
ALL_EXAMPLES = sorted((Path(__file__).parent.parent / "examples").rglob("*.yaml"))
# Bound to the shared services of the local target (the `uses` trait renders only there for now):
# rendered and run by tests/test_the_shop_example_takes_orders_through_shared_services.py instead.
LOCAL_ONLY = {"shop-local"}
EXAMPLES = [p for p in ALL_EXAMPLES if p.parent.name not in LOCAL_ONLY]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_example_renders_valid_manifests(example: Path) -> None:
    result = CliRunner().invoke(cli, ["dry-run", "-f", str(example)])
    assert result.exit_code == 0, result.output
    manifests = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert manifests
    for manifest in manifests:
        kubernetes_validate.validate(manifest, "1.31", strict=True)
