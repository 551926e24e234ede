"""`addon enable` enables the dependencies first, in order; a cycle, a missing dependency, a version
conflict or a bad parameter is one clear error, and nothing is enabled (not even the dependencies that
were fine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from addon_fixtures import write_addon
from vessel.cli.main import app as cli

runner = CliRunner()


def vessel(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, list(args))


def enabled() -> dict[str, str]:
    result = vessel("addon", "status", "-o", "json")
    assert result.exit_code == 0, result.output
    return {a["name"]: a["version"] for a in json.loads(result.stdout)}


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    root = tmp_path / "registry"
    root.mkdir()
    assert vessel("addon", "registry", "add", "team", "--path", str(root)).exit_code == 0
    return root


def refused(spec: str, *words: str) -> str:
    result = vessel("addon", "enable", spec)
    assert result.exit_code != 0
    for word in words:
        assert word in result.output, result.output
    assert enabled() == {}, "a refused enable changed nothing"
    return result.output  # type: ignore[no-any-return]


def test_dependencies_are_enabled_first_in_order(registry: Path) -> None:
    write_addon(registry, "app", dependencies=(("cache", "^1"), ("db", ">=2.0.0")))
    write_addon(registry, "cache", "1.4.0", dependencies=(("db", "^2"),), per_version=True)
    write_addon(registry, "cache", "2.0.0", per_version=True)
    write_addon(registry, "db", "2.1.0")
    result = vessel("addon", "enable", "app")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.endswith(" enabled")]
    assert lines == ["addon db@2.1.0 enabled", "addon cache@1.4.0 enabled", "addon app@1.0.0 enabled"]
    assert list(enabled().items()) == [("db", "2.1.0"), ("cache", "1.4.0"), ("app", "1.0.0")]


def test_a_dependency_cycle_is_refused(registry: Path) -> None:
    write_addon(registry, "a", dependencies=(("b", "*"),))
    write_addon(registry, "b", dependencies=(("c", "*"),))
    write_addon(registry, "c", dependencies=(("a", "*"),))
    refused("a", "cycle: a -> b -> c -> a")


def test_a_missing_dependency_is_refused(registry: Path) -> None:
    write_addon(registry, "app", dependencies=(("db", "*"), ("queue", "^1")))
    write_addon(registry, "db")
    refused("app", "needs addon 'queue', which no registry has")


def test_no_matching_version_of_a_dependency_is_refused(registry: Path) -> None:
    write_addon(registry, "app", dependencies=(("db", "^3"),))
    write_addon(registry, "db", "2.0.0")
    refused("app", "needs addon db ^3", "versions available: 2.0.0")


def test_two_addons_demanding_different_versions_of_one_is_refused(registry: Path) -> None:
    write_addon(registry, "app", dependencies=(("metrics", "*"), ("db", "^1")))
    write_addon(registry, "metrics", dependencies=(("db", "^2"),))
    write_addon(registry, "db", "1.0.0", per_version=True)
    write_addon(registry, "db", "2.0.0", per_version=True)
    refused("app", "version conflict on addon db", "needs db ^1")


def test_an_enabled_version_that_a_dependency_constraint_excludes_is_refused(registry: Path) -> None:
    write_addon(registry, "db", "1.0.0", per_version=True)
    write_addon(registry, "db", "2.0.0", per_version=True)
    write_addon(registry, "app", dependencies=(("db", "^2"),))
    assert vessel("addon", "enable", "db@1.0.0").exit_code == 0
    result = vessel("addon", "enable", "app")
    assert result.exit_code != 0
    assert "needs addon db ^2, but db@1.0.0 is enabled" in result.output
    assert enabled() == {"db": "1.0.0"}


def test_a_parameter_the_schema_refuses_is_one_error_naming_it(registry: Path) -> None:
    schema = {"type": "object", "properties": {"replicas": {"type": "integer"}}}
    write_addon(registry, "app", dependencies=(("db", "*"),), parameters=schema)
    write_addon(registry, "db")
    result = vessel("addon", "enable", "app", "--set", "replicas=three")
    assert result.exit_code != 0
    assert "replicas" in result.output and "integer" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert enabled() == {}
