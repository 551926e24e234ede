"""`vessel addon enable NAME --target T…` delivers the addon's Application to those targets only; each
must be registered and of a type the addon supports (metadata `targets`), else nothing is enabled and
the error names the target; an upgrade keeps the targets the addon was placed on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from addon_fixtures import APPLICATION, BANNER_PARAMETERS, ok, vessel, write_addon

pytestmark = pytest.mark.timeout(120)


def banner(registry: Path, version: str, targets: list[str] | None = None) -> None:
    write_addon(
        registry,
        "banner",
        version,
        component="greeting",
        parameters=BANNER_PARAMETERS,
        application=APPLICATION.format(component="greeting"),
        per_version=True,
        metadata={"targets": targets} if targets else None,
    )


@pytest.fixture
def env(tmp_path: Path) -> Path:
    banner(tmp_path / "registry", "1.0.0")
    # near is the default: without --target the addon's Application would go there
    ok("target", "add", "near", "--type", "directory", "--path", str(tmp_path / "near"), "--default")
    ok("target", "add", "far", "--type", "directory", "--path", str(tmp_path / "far"))
    ok("addon", "registry", "add", "team", "--path", str(tmp_path / "registry"))
    return tmp_path


def written(env: Path, target: str) -> bool:
    return (env / target / "vessel-system" / "configmap.core" / "banner.yaml").is_file()


def enabled() -> list[str]:
    return [a["name"] for a in json.loads(vessel("addon", "status", "-o", "json").stdout)]


def test_the_addons_application_goes_only_to_the_targets_named(env: Path) -> None:
    ok("addon", "enable", "banner", "--target", "far")
    assert written(env, "far") and not written(env, "near")


def test_an_upgrade_keeps_the_targets(env: Path) -> None:
    ok("addon", "enable", "banner", "--target", "far")
    banner(env / "registry", "1.1.0")
    ok("addon", "upgrade", "banner")
    assert written(env, "far") and not written(env, "near")


def test_a_target_that_is_not_registered_is_refused(env: Path) -> None:
    result = vessel("addon", "enable", "banner", "--target", "far", "--target", "nowhere")
    assert result.exit_code != 0
    assert "--target 'nowhere' is not a registered target" in result.output
    assert enabled() == [] and not written(env, "far")


def test_a_target_of_a_type_the_addon_does_not_support_is_refused(env: Path) -> None:
    banner(env / "registry", "2.0.0", targets=["local"])
    result = vessel("addon", "enable", "banner@2.0.0", "--target", "far")
    assert result.exit_code != 0
    assert "supports local targets; 'far' is a kubernetes target" in result.output
    assert enabled() == [] and not written(env, "far")
