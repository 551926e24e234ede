"""`addon disable` is refused while an application's current revision uses the addon's definitions, and
the refusal names those applications; `--force` disables it anyway, and once the users are gone it
goes without force. The registry then no longer offers the addon's types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from addon_fixtures import write_addon
from test_an_enabled_addons_definitions_deliver_applications import USER_APP
from vessel.cli.main import app as cli

runner = CliRunner()


def vessel(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, list(args))


def enabled() -> list[str]:
    return [a["name"] for a in json.loads(vessel("addon", "status", "-o", "json").stdout)]


@pytest.fixture
def env(tmp_path: Path) -> Path:
    registry = tmp_path / "registry"
    write_addon(registry, "greetings", component="greeting")
    out = tmp_path / "out"
    assert (
        vessel("target", "add", "out", "--type", "directory", "--path", str(out), "--default").exit_code == 0
    )
    assert vessel("addon", "registry", "add", "team", "--path", str(registry)).exit_code == 0
    assert vessel("addon", "enable", "greetings").exit_code == 0
    (tmp_path / "app.yaml").write_text(USER_APP)
    result = vessel("up", "-f", str(tmp_path / "app.yaml"))
    assert result.exit_code == 0, result.output
    return tmp_path


@pytest.mark.timeout(120)
def test_disable_is_refused_naming_the_applications_that_use_it(env: Path) -> None:
    result = vessel("addon", "disable", "greetings")
    assert result.exit_code != 0
    assert "applications default/hello use its definitions" in result.output, result.output
    assert enabled() == ["greetings"]

    assert vessel("delete", "hello", "--yes").exit_code == 0
    result = vessel("addon", "disable", "greetings")
    assert result.exit_code == 0, result.output
    assert enabled() == []
    gone = vessel("up", "-f", str(env / "app.yaml"))
    assert gone.exit_code != 0 and "unknown component type 'greeting'" in gone.output


@pytest.mark.timeout(120)
def test_force_disables_an_addon_in_use(env: Path) -> None:
    result = vessel("addon", "disable", "greetings", "--force")
    assert result.exit_code == 0, result.output
    assert enabled() == []
