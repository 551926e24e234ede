"""The shared `postgresql` and `redis` services run on the local target only (docs/addons.md says why:
their passwords must be generated where the target keeps secrets, which rendering cannot do). On a
target that renders for Kubernetes they are refused with one clear error before anything is stored or
delivered: enabling the addon there, placing it there with --target, or delivering an application
bound with `uses` there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli

runner = CliRunner()
pytestmark = pytest.mark.timeout(120)

BOUND = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: "shop:1"}
      traits:
        - type: uses
          properties: {addon: postgresql}
"""


def vessel(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, list(args))


def enabled() -> list[str]:
    return [a["name"] for a in json.loads(vessel("addon", "status", "-o", "json").stdout)]


@pytest.fixture
def cluster_like(tmp_path: Path) -> Path:
    """A target that renders for Kubernetes (a directory of manifests), made the default."""
    out = tmp_path / "out"
    result = vessel("target", "add", "k", "--type", "directory", "--path", str(out), "--default")
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("addon", ["postgresql", "redis"])
def test_enabling_a_shared_service_for_a_kubernetes_target_is_refused(addon: str, cluster_like: Path) -> None:
    result = vessel("addon", "enable", addon)
    assert result.exit_code != 0
    assert f"the {addon} addon runs only on the local target" in result.output
    assert enabled() == [] and not list(cluster_like.rglob("*.yaml"))


def test_placing_a_shared_service_on_a_kubernetes_target_is_refused(cluster_like: Path) -> None:
    result = vessel("addon", "enable", "postgresql", "--target", "k")
    assert result.exit_code != 0
    assert "supports local targets; 'k' is a kubernetes target" in result.output
    assert enabled() == []


def test_an_application_bound_on_a_kubernetes_target_is_refused(tmp_path: Path, cluster_like: Path) -> None:
    assert vessel("addon", "enable", "bindings").exit_code == 0  # the `uses` trait, no server
    (tmp_path / "shop.yaml").write_text(BOUND)
    result = vessel("up", "-f", str(tmp_path / "shop.yaml"))
    assert result.exit_code != 0
    assert "the uses trait binds only on the local target" in result.output
    assert not list(cluster_like.rglob("*.yaml"))
    assert json.loads(vessel("ls", "-o", "json").stdout or "[]") == []
