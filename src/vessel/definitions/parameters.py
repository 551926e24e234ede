"""A definition's parameters: a JSON Schema that validates, fills defaults, and documents.

The same schema drives validation messages, `vessel def show`, generated docs and (later) dashboard
forms. Object schemas that list `properties` are closed unless they say otherwise, so a misspelt
property is an error rather than a silently ignored value.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vessel.errors import DefinitionError, Location
from vessel.model.frozen import thaw

if TYPE_CHECKING:
    import jsonschema

from vessel.model.schema_check import Locate, check, declared_fields, formats, unexpected

# Where closing objects is right: alternatives (anyOf/oneOf) and the shapes of values. Not in `if`, `then`,
# `else`, `not`, `contains` or `allOf`, which test or add to a shape the parent already closes.
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_ONE = ("items", "additionalProperties")


def close_objects(schema: Any) -> Any:
    """A copy of `schema` where every object that lists `properties` rejects unknown ones by default."""
    if not isinstance(schema, Mapping):
        return schema
    out = dict(schema)
    if "properties" in out:
        out["properties"] = {k: close_objects(v) for k, v in out["properties"].items()}
        out.setdefault("additionalProperties", False)
    for key in _SUBSCHEMA_ONE:
        if key in out:
            out[key] = close_objects(out[key])
    for key in _SUBSCHEMA_LISTS:
        if key in out:
            out[key] = [close_objects(s) for s in out[key]]
    for key in ("$defs", "definitions", "patternProperties"):
        if key in out:
            out[key] = {k: close_objects(v) for k, v in out[key].items()}
    return out


def fill_defaults(schema: Any, value: Any, root: Any = None) -> None:
    """Set schema defaults for absent fields, in place, at every level the value reaches.

    Local `$ref`s (`#/$defs/...`) are followed. Inside `anyOf`/`oneOf` no defaults are applied: which
    alternative the value means is not known before validation.
    """
    root = schema if root is None else root
    schema = _deref(schema, root)
    if not isinstance(schema, Mapping):
        return
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key, sub in props.items():
            sub = _deref(sub, root)
            if key not in value and isinstance(sub, Mapping) and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                fill_defaults(sub, value[key], root)
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            for key in value.keys() - props.keys():
                fill_defaults(extra, value[key], root)
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for item in value:
            fill_defaults(schema["items"], item, root)


def schema_at(root: Any, path: tuple[str | int, ...]) -> Any:
    """The subschema describing the value at `path` (following properties, items and local refs)."""
    schema = _deref(root, root)
    for part in path:
        if not isinstance(schema, Mapping):
            return {}
        schema = (
            schema.get("items", {}) if isinstance(part, int) else schema.get("properties", {}).get(part, {})
        )
        schema = _deref(schema, root)
    return schema


def _deref(schema: Any, root: Any) -> Any:
    for _ in range(32):  # a chain of refs, never a loop
        ref = schema.get("$ref") if isinstance(schema, Mapping) else None
        if not (isinstance(ref, str) and ref.startswith("#/")):
            return schema
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        if target is None:
            return schema
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def check_schema(schema: Mapping[str, Any], where: Location) -> None:
    """Raise DefinitionError unless `schema` is a valid JSON Schema (draft 2020-12)."""
    import jsonschema

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        path = ".".join(str(p) for p in exc.absolute_path)
        raise DefinitionError(
            f"parameters is not a valid JSON Schema at {path or '/'}: {exc.message}", where
        ) from None


@dataclass(frozen=True)
class Field:
    """One documented parameter, for `vessel def show` and generated docs."""

    name: str
    type: str
    required: bool
    default: Any
    description: str


class Parameters:
    """The compiled parameter schema of one definition.

    The schema is checked against JSON Schema's own metaschema unless it was already (`checked`): the
    built-in definitions' schemas are checked by the test suite
    (tests/test_builtin_parameter_schemas_are_valid_json_schema.py), a revision's were checked when the
    definition was accepted. Checking costs several milliseconds a schema, and every command used to
    pay it for all fifty built-ins; a definition a user supplies is always checked.
    """

    def __init__(self, schema: Mapping[str, Any] | None, where: Location, *, checked: bool = False):
        raw = dict(schema) if schema is not None else {"type": "object", "properties": {}}
        raw.setdefault("type", "object")
        self.schema: dict[str, Any] = close_objects(raw)
        if not checked:
            check_schema(self.schema, where)
        self._compiled: jsonschema.protocols.Validator | None = None

    @property
    def _validator(self) -> jsonschema.protocols.Validator:
        """Compiled on first use: judging health from a revision's definitions never validates."""
        if self._compiled is None:
            import jsonschema

            self._compiled = jsonschema.Draft202012Validator(self.schema, format_checker=formats())
        return self._compiled

    def resolve(
        self, properties: Mapping[str, Any], locate: Locate, *, drop_unknown: bool = False
    ) -> dict[str, Any]:
        """Validated properties with defaults applied: the `parameter` a template sees. With
        `drop_unknown` (an application that opted out of strictness: `model/strictness.py`), fields the
        schema does not declare are left out instead of refused."""
        value = thaw(properties)
        if drop_unknown:
            for unknown in self.unknown(value):
                _drop(value, unknown.path)
        fill_defaults(self.schema, value)
        check(value, self._validator, locate)
        return value  # type: ignore[no-any-return]

    def missing_required(self, properties: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], Any]]:
        """(path, schema) of every required field `properties` lacks, including conditional ones."""
        value = thaw(properties)
        fill_defaults(self.schema, value)
        missing = []
        for err in self._validator.iter_errors(value):
            for sub in [err, *(err.context or ())]:
                match = re.match(r"^'(.*)' is a required property", sub.message)
                if sub.validator == "required" and match:
                    path = (*sub.absolute_path, match.group(1))
                    missing.append((path, schema_at(self.schema, path)))
        return missing

    def fields(self) -> list[Field]:
        return list(_fields(self.schema, ""))

    def unknown(self, properties: Mapping[str, Any]) -> list[Unknown]:
        """Every field of `properties` the schema does not declare, with the fields it does declare there
        (for a suggestion), in the order they are written."""
        found = [
            Unknown((*err.absolute_path, key), tuple(declared_fields(err)))
            for err in self._validator.iter_errors(thaw(properties))
            if err.validator == "additionalProperties"
            for key in unexpected(err)
        ]
        return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Unknown:
    """A field the schema does not declare: where it is, and what is declared beside it."""

    path: tuple[str | int, ...]
    known: tuple[str, ...]


def _drop(value: Any, path: tuple[str | int, ...]) -> None:
    for part in path[:-1]:
        value = value[part]
    value.pop(path[-1], None)


def _type_name(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(kind)
    if kind == "array" and isinstance(schema.get("items"), Mapping):
        return f"[]{_type_name(schema['items'])}"
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    if kind is None and ("anyOf" in schema or "oneOf" in schema):
        return " | ".join(_type_name(s) for s in schema.get("anyOf", schema.get("oneOf", [])))
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return f"map[string]{_type_name(schema['additionalProperties'])}"
    return str(kind or "any")


def _fields(schema: Mapping[str, Any], prefix: str) -> Iterator[Field]:
    required = set(schema.get("required", []))
    for name, sub in schema.get("properties", {}).items():
        full = f"{prefix}{name}"
        yield Field(full, _type_name(sub), name in required, sub.get("default"), sub.get("description", ""))
        nested = sub.get("items") if sub.get("type") == "array" else sub
        if isinstance(nested, Mapping) and "properties" in nested:
            yield from _fields(nested, f"{full}[]." if sub.get("type") == "array" else f"{full}.")
