"""Parameters: defaults are filled at every level the user's value reaches, unknown fields are refused
unless the schema opens the object, and conditional schemas (if/then) still work."""

from __future__ import annotations

from typing import Any

import pytest

from vessel.definitions import Parameters
from vessel.errors import Location, VesselError
from vessel.model.frozen import freeze

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "replicas": {"type": "integer", "default": 1},
        "probe": {
            "type": "object",
            "properties": {"path": {"type": "string", "default": "/"}, "port": {"type": "integer"}},
        },
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "volumes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {"enum": ["pvc", "emptyDir"]},
                    "claimName": {"type": "string"},
                    "mode": {"type": "integer", "default": 420},
                },
                "if": {"properties": {"type": {"const": "pvc"}}},
                "then": {"required": ["claimName"]},
            },
        },
    },
}


def resolve(props: dict[str, Any]) -> dict[str, Any]:
    return Parameters(SCHEMA, Location()).resolve(freeze(props), lambda p: Location("app.yaml", 1, str(p)))


def test_defaults_are_filled_at_every_level_present() -> None:
    assert resolve({"probe": {}, "volumes": [{"type": "emptyDir"}]}) == {
        "replicas": 1,
        "probe": {"path": "/"},
        "volumes": [{"type": "emptyDir", "mode": 420}],
    }


def test_absent_optional_objects_stay_absent() -> None:
    assert resolve({}) == {"replicas": 1}


def test_unknown_field_is_refused_with_its_path() -> None:
    with pytest.raises(VesselError, match=r"\('probe', 'paht'\): unknown field"):
        resolve({"probe": {"paht": "/x"}})


def test_maps_declared_open_accept_any_key() -> None:
    assert resolve({"labels": {"anything": "x"}})["labels"] == {"anything": "x"}


def test_conditional_schemas_still_apply() -> None:
    with pytest.raises(VesselError, match="claimName"):
        resolve({"volumes": [{"type": "pvc"}]})
    assert resolve({"volumes": [{"type": "pvc", "claimName": "data"}]})["volumes"][0]["claimName"] == "data"


def test_resolve_never_changes_the_users_properties() -> None:
    props = freeze({"probe": {}})
    Parameters(SCHEMA, Location()).resolve(props, lambda p: Location())
    assert props == {"probe": {}}


def test_fields_document_nested_parameters() -> None:
    fields = {f.name: f for f in Parameters(SCHEMA, Location()).fields()}
    assert fields["replicas"].default == 1 and fields["probe.path"].type == "string"
    assert fields["labels"].type == "map[string]string" and fields["volumes[].claimName"].type == "string"
