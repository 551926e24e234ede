"""`vessel addon upgrade NAME[@VERSION]`: the enabled addon moves to the newest version on offer (or
the one asked for), keeping the parameters it was enabled with (`--set` changes some) and the targets
it was placed on, and its Application is delivered again; a dependency the new version needs is enabled
first. Going down is refused unless `--allow-downgrade`; an addon that is not enabled, a parameter the
new version refuses, an enabled dependency it does not accept, or a definition it drops while
applications use it are refused — and then nothing changes. `enable` never moves an enabled addon to
another version: that is what `upgrade` is for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from addon_fixtures import APPLICATION, BANNER_PARAMETERS, ok, vessel, write_addon
from test_an_enabled_addons_definitions_deliver_applications import USER_APP

pytestmark = pytest.mark.timeout(120)


def status() -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in json.loads(vessel("addon", "status", "-o", "json").stdout)}


def banner_addon(registry: Path, version: str, **kwargs: Any) -> None:
    kwargs.setdefault("dependencies", (("greetings", "^1.0"),))
    kwargs.setdefault("parameters", BANNER_PARAMETERS)
    application = APPLICATION.format(component="greeting")
    write_addon(registry, "banner", version, application=application, per_version=True, **kwargs)


@pytest.fixture
def env(tmp_path: Path) -> Path:
    registry = tmp_path / "registry"
    for version in ("1.0.0", "1.1.0", "2.0.0"):
        write_addon(registry, "greetings", version, component="greeting", per_version=True)
    banner_addon(registry, "1.0.0")
    out = tmp_path / "out"
    ok("target", "add", "out", "--type", "directory", "--path", str(out), "--default")
    ok("addon", "registry", "add", "team", "--path", str(registry))
    ok("addon", "enable", "greetings@1.0.0")
    ok("addon", "enable", "banner@1.0.0", "--set", "banner=howdy")
    return tmp_path


def banner_message(env: Path) -> str:
    written = yaml.safe_load((env / "out/vessel-system/configmap.core/banner.yaml").read_text())
    return str(written["data"]["message"])


def test_an_upgrade_keeps_the_parameters_and_delivers_again(env: Path) -> None:
    banner_addon(env / "registry", "1.1.0", component="motd")
    said = ok("addon", "upgrade", "banner")
    assert "addon banner@1.1.0 upgraded from 1.0.0" in said
    assert status()["banner"]["version"] == "1.1.0"
    assert status()["banner"]["parameters"] == {"banner": "howdy"}  # kept, not the default "hi"
    assert banner_message(env) == "howdy"
    ok("addon", "upgrade", "banner", "--set", "banner=hello again")
    assert banner_message(env) == "hello again"


def test_an_upgrade_to_a_version_that_needs_a_new_dependency_enables_it_first(env: Path) -> None:
    write_addon(env / "registry", "extras", "1.0.0", component="extra", per_version=True)
    banner_addon(env / "registry", "1.2.0", dependencies=(("greetings", "^1.0"), ("extras", "^1")))
    said = ok("addon", "upgrade", "banner")
    assert said.index("extras@1.0.0 enabled") < said.index("banner@1.2.0 upgraded from 1.0.0")
    assert {"extras", "banner", "greetings"} <= set(status())


def test_enable_never_moves_an_enabled_addon_to_another_version(env: Path) -> None:
    banner_addon(env / "registry", "1.1.0")
    before = status()
    result = vessel("addon", "enable", "banner")
    assert result.exit_code != 0
    assert "addon banner is enabled at 1.0.0: enabling banner@1.1.0 would replace it" in result.output
    assert "vessel addon upgrade banner@1.1.0" in result.output
    assert status() == before


def test_going_down_is_refused_unless_allowed(env: Path) -> None:
    ok("addon", "upgrade", "greetings@1.1.0")
    result = vessel("addon", "upgrade", "greetings@1.0.0")
    assert result.exit_code != 0
    assert "from 1.1.0 down to 1.0.0: refused" in result.output
    assert status()["greetings"]["version"] == "1.1.0"
    ok("addon", "upgrade", "greetings@1.0.0", "--allow-downgrade")
    assert status()["greetings"]["version"] == "1.0.0"


def refused(*args: str, saying: str) -> None:
    before = status()
    result = vessel("addon", "upgrade", *args)
    assert result.exit_code != 0
    assert saying in result.output, result.output
    assert status() == before


def test_an_addon_that_is_not_enabled_is_refused(env: Path) -> None:
    write_addon(env / "registry", "extras", "1.0.0", component="extra", per_version=True)
    refused("extras", saying="addon 'extras' is not enabled")


def test_a_parameter_the_new_version_refuses_changes_nothing(env: Path) -> None:
    narrower = {"type": "object", "properties": {"banner": {"type": "string", "maxLength": 3}}}
    banner_addon(env / "registry", "1.1.0", parameters=narrower)
    refused("banner", saying="banner")  # the kept "howdy" is too long for 1.1.0
    assert banner_message(env) == "howdy"


def test_an_enabled_dependency_the_new_version_does_not_accept_changes_nothing(env: Path) -> None:
    banner_addon(env / "registry", "1.1.0", dependencies=(("greetings", "^2"),))
    refused("banner", saying="needs addon greetings ^2, but greetings@1.0.0 is enabled")


def test_a_version_that_breaks_an_enabled_addon_depending_on_it_changes_nothing(env: Path) -> None:
    refused("greetings@2.0.0", saying="addon banner@1.0.0 needs greetings ^1.0")


def test_a_version_dropping_a_definition_in_use_changes_nothing(env: Path) -> None:
    (env / "app.yaml").write_text(USER_APP)
    ok("up", "-f", str(env / "app.yaml"))  # uses greetings' `greeting` type
    write_addon(env / "registry", "greetings", "1.2.0", component="salutation", per_version=True)
    refused(
        "greetings@1.2.0",
        saying="no longer defines ComponentDefinition 'greeting', which applications default/hello, "
        "vessel-system/addon-banner use",
    )
