"""`addon list` shows every addon the registries offer with its versions (newest first) and the version
enabled; `addon show` prints an addon's metadata, its parameters (from parameters.schema.json) and its
README; a registry entry that cannot be read is a warning naming its file, not a silent gap. The addons
shipped inside Vessel (`bindings`, `postgresql`, `redis`) are always offered, with no registry added."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from addon_fixtures import write_addon
from vessel.cli.main import app as cli

runner = CliRunner()


def vessel(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, list(args))


def test_list_and_show(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    schema = {
        "type": "object",
        "properties": {"size": {"type": "integer", "default": 3, "description": "how many"}},
    }
    for version in ("1.2.0", "1.10.0", "0.9.0"):
        write_addon(registry, "cache", version, per_version=True, parameters=schema, readme="# Cache\nFast.")
    write_addon(registry, "broken", metadata={"version": "latest"})
    assert vessel("addon", "registry", "add", "team", "--path", str(registry)).exit_code == 0
    assert vessel("addon", "enable", "cache@~1.2").exit_code == 0

    listed = vessel("addon", "list", "-o", "json")
    assert listed.exit_code == 0, listed.output
    assert [e for e in json.loads(listed.stdout) if e["registry"] != "builtin"] == [
        {
            "name": "cache",
            "versions": ["1.10.0", "1.2.0", "0.9.0"],
            "enabled": "1.2.0",
            "registry": "team",
            "description": "the cache addon",
        }
    ]
    assert "broken/metadata.yaml" in listed.stderr and "'latest' is not a semver version" in listed.stderr

    shown = vessel("addon", "show", "cache", "-o", "json")
    doc = json.loads(shown.stdout)
    assert doc["version"] == "1.10.0" and doc["readme"] == "# Cache\nFast."
    assert doc["parameters"] == [
        {"name": "size", "type": "integer", "required": False, "default": 3, "description": "how many"}
    ]


def test_the_builtin_addons_are_offered_with_no_registry_added() -> None:
    listed = vessel("addon", "list", "-o", "json")
    assert listed.exit_code == 0, listed.output
    assert [(e["name"], e["registry"], e["enabled"]) for e in json.loads(listed.stdout)] == [
        ("bindings", "builtin", None),
        ("postgresql", "builtin", None),
        ("redis", "builtin", None),
    ]
    shown = vessel("addon", "show", "postgresql", "-o", "json")
    assert shown.exit_code == 0, shown.output
    assert "uses" in json.loads(shown.stdout)["readme"]
