"""An addon enabled from a local registry extends the platform for every process sharing the store:
`vessel up` delivers an application using its component type, in this process and in a fresh one, and
the addon's own Application is delivered with the parameters given to `addon enable`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from addon_fixtures import APPLICATION, write_addon
from vessel.cli.main import app as cli

USER_APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: hello}
spec:
  components:
    - name: greeting
      type: greeting
      properties: {message: bonjour}
"""
runner = CliRunner()


def vessel(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, list(args))


@pytest.fixture
def env(tmp_path: Path) -> Path:
    registry = tmp_path / "registry"
    write_addon(registry, "greetings", component="greeting")
    banner_params = {"type": "object", "properties": {"banner": {"type": "string", "default": "hi"}}}
    write_addon(
        registry,
        "banner",
        dependencies=(("greetings", "^1.0"),),
        parameters=banner_params,
        application=APPLICATION.format(component="greeting"),
    )
    out = tmp_path / "out"
    assert (
        vessel("target", "add", "out", "--type", "directory", "--path", str(out), "--default").exit_code == 0
    )
    result = vessel("addon", "registry", "add", "team", "--path", str(registry))
    assert result.exit_code == 0, result.output
    (tmp_path / "app.yaml").write_text(USER_APP)
    return tmp_path


def delivered(env: Path, namespace: str, name: str) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((env / "out" / namespace / "configmap.core" / f"{name}.yaml").read_text())  # type: ignore[no-any-return]


def test_an_application_using_an_enabled_addons_component_is_delivered(env: Path) -> None:
    assert vessel("up", "-f", str(env / "app.yaml")).exit_code != 0  # no such type before enabling
    result = vessel("addon", "enable", "greetings")
    assert result.exit_code == 0, result.output
    result = vessel("up", "-f", str(env / "app.yaml"))
    assert result.exit_code == 0, result.output
    assert delivered(env, "default", "greeting")["data"] == {"message": "bonjour"}


def test_a_fresh_process_on_the_same_store_sees_the_enabled_addons_definitions(env: Path) -> None:
    assert vessel("addon", "enable", "greetings").exit_code == 0
    fresh = subprocess.run(
        [sys.executable, "-m", "vessel", "up", "-f", str(env / "app.yaml")],
        capture_output=True,
        text=True,
        env=os.environ.copy(),  # the same VESSEL_HOME: the same store
        timeout=120,
    )
    assert fresh.returncode == 0, fresh.stderr
    assert delivered(env, "default", "greeting")["data"] == {"message": "bonjour"}


@pytest.mark.timeout(120)
def test_enabling_delivers_the_addons_application_with_its_parameters(env: Path) -> None:
    result = vessel("addon", "enable", "banner", "--set", "banner=howdy")
    assert result.exit_code == 0, result.output
    assert result.stdout.index("greetings@1.0.0 enabled") < result.stdout.index("banner@1.0.0 enabled")
    assert delivered(env, "vessel-system", "banner")["data"] == {"message": "howdy"}
    assert (
        delivered(env, "vessel-system", "banner")["metadata"]["labels"]["app.oam.dev/name"] == "addon-banner"
    )
