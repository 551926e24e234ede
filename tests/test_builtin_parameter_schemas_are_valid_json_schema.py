"""Every built-in definition's parameter schema is valid JSON Schema — checked here, by the test suite,
so that no command pays for checking fifty schemas at every start. A definition a user supplies is
still checked when it is loaded; one rebuilt from a revision's snapshot was checked when it was
accepted, and is not checked again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vessel.controller import revisions
from vessel.definitions import parameters
from vessel.definitions.definition import Definition
from vessel.definitions.registry import Registry, builtin_definitions, load_path
from vessel.errors import DefinitionError, Location

BUILTINS = builtin_definitions()


@pytest.mark.parametrize("definition", BUILTINS, ids=lambda d: f"{d.kind.value}/{d.name}")
def test_builtin_parameter_schema_is_valid_json_schema(definition: Definition) -> None:
    parameters.check_schema(definition.parameters.schema, Location(definition.origin))


def test_every_builtin_definition_is_checked() -> None:
    assert len(BUILTINS) >= 50
    assert sum(1 for d in BUILTINS if d.parameters.schema.get("properties")) >= 40


TRAIT = """\
apiVersion: core.oam.dev/v1beta1
kind: TraitDefinition
metadata: {name: %(name)s}
spec:
  schematic:
    jinja:
      parameters: %(schema)s
      templates:
        kubernetes: "patch: {spec: {replicas: 5}}"
"""


def snapshot_document(name: str) -> dict[str, Any]:
    schema = {"type": "object", "properties": {"replicas": {"type": "integer"}}}
    return {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "TraitDefinition",
        "metadata": {"name": name},
        "spec": {"schematic": {"jinja": {"parameters": schema, "templates": {"kubernetes": "patch: {}"}}}},
    }


def test_only_user_supplied_schemas_are_checked_at_load(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    checked: list[str] = []
    real = parameters.check_schema

    def counting(schema: Any, where: Location) -> None:
        checked.append(where.file or "")
        real(schema, where)

    monkeypatch.setattr(parameters, "check_schema", counting)
    builtin_definitions.cache_clear()
    try:
        assert len(builtin_definitions()) == len(BUILTINS)
    finally:
        builtin_definitions.cache_clear()
    revisions.registry_from_snapshot([snapshot_document("checked-when-accepted")], Registry())
    assert checked == []

    (tmp_path / "mine.yaml").write_text(TRAIT % {"name": "mine", "schema": "{type: object}"})
    load_path(tmp_path / "mine.yaml")
    assert checked == [str(tmp_path / "mine.yaml")]


def test_a_user_supplied_invalid_schema_is_refused(tmp_path: Path) -> None:
    bad = "{type: object, properties: {replicas: {type: integr}}}"
    (tmp_path / "bad.yaml").write_text(TRAIT % {"name": "bad", "schema": bad})
    with pytest.raises(DefinitionError, match="not a valid JSON Schema"):
        load_path(tmp_path / "bad.yaml")
