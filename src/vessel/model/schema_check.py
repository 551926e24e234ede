"""JSON Schema validation that reports like a person would.

jsonschema's own messages name the schema keyword and dump the whole instance; users need the field
path and a short sentence: `spec.replicas: expected integer, got 'three'`. One formatter serves the
Application model and every definition's parameters, so messages read the same everywhere.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from vessel.errors import Location, MultipleErrors, ValidationError, VesselError
from vessel.model import duration
from vessel.model.paths import Path
from vessel.model.suggest import did_you_mean

if TYPE_CHECKING:  # jsonschema is imported when something is validated: reading stored data never is
    import jsonschema
    from jsonschema.exceptions import ValidationError as SchemaViolation

Locate = Callable[[Path], Location]
MAX_REPORTED = 20
REQUIRED_MISSING = "required field is missing"
UNKNOWN_FIELD = "unknown field"


@functools.cache
def formats() -> jsonschema.FormatChecker:
    """The formats Vessel asserts, and only these (JSON Schema's own stay annotations, as by default):
    `go-duration`, a duration as `parse_duration` reads it (`30s`, `1h30m`, within Go's range)."""
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    checker.checks(duration.FORMAT, raises=ValueError)(_is_duration)
    return checker


def _is_duration(value: object) -> bool:
    return not isinstance(value, str) or duration.parse_duration(value) >= 0  # non-strings: `type` says


def check(instance: Any, validator: jsonschema.protocols.Validator, locate: Locate) -> None:
    """Raise ValidationError (or MultipleErrors) naming every field that breaks the schema."""
    problems = [
        ValidationError(message, locate(path))
        for violation in validator.iter_errors(instance)
        for path, message in describe(violation)
    ]
    if not problems:
        return
    problems.sort(key=lambda e: (e.location.line or 0, e.location.path))
    if len(problems) == 1:
        raise problems[0]
    raise MultipleErrors(_dedupe(problems)[:MAX_REPORTED])


def _dedupe(problems: list[ValidationError]) -> list[VesselError]:
    seen: set[str] = set()
    out: list[VesselError] = []
    for p in problems:
        if p.render() not in seen:
            seen.add(p.render())
            out.append(p)
    return out


def describe(err: SchemaViolation) -> list[tuple[Path, str]]:
    """Turn one schema violation into (field path, sentence) pairs."""
    path: Path = tuple(err.absolute_path)
    kind = err.validator
    schema: Any = err.validator_value
    value = err.instance
    if kind in ("anyOf", "oneOf") and err.context:
        from jsonschema.exceptions import best_match

        return describe(best_match(err.context))
    if kind == "additionalProperties" and isinstance(value, Mapping):
        known = declared_fields(err)
        return [((*path, key), f"{UNKNOWN_FIELD}{did_you_mean(key, known)}") for key in unexpected(err)]
    if kind == "required":
        missing = _quoted_name(err.message)
        return [((*path, missing), REQUIRED_MISSING)]
    if isinstance(err.schema, Mapping) and "x-expected" in err.schema and kind not in ("required", "type"):
        return [(path, f"expected {err.schema['x-expected']}, got {show(value)}")]
    if kind == "type":
        return [(path, f"expected {_types(schema)}, got {show(value)}")]
    return [(path, _sentence(str(kind), schema, value, err.message))]


def declared_fields(err: SchemaViolation) -> list[str]:
    """The fields the object an additionalProperties violation is about declares."""
    schema = err.schema if isinstance(err.schema, Mapping) else {}
    return [str(k) for k in schema.get("properties", {})]


def unexpected(err: SchemaViolation) -> Iterable[str]:
    """The fields of the object that an additionalProperties violation is about which it does not allow."""
    schema = err.schema if isinstance(err.schema, Mapping) else {}
    props = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    instance: Mapping[str, Any] = err.instance if isinstance(err.instance, Mapping) else {}
    for key in instance:
        if key not in props and not any(re.search(p, key) for p in patterns):
            yield key


def _quoted_name(message: str) -> str:
    match = re.match(r"^'(.*)' is a required property", message)
    return match.group(1) if match else message


def _types(schema: Any) -> str:
    names = [schema] if isinstance(schema, str) else list(schema)
    return " or ".join(names)


def show(value: Any) -> str:
    """A short rendering of a bad value for an error message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _sentence(kind: str, schema: Any, value: Any, fallback: str) -> str:
    simple: dict[str, Callable[[], str]] = {
        "enum": lambda: f"expected one of {', '.join(show(v) for v in schema)}, got {show(value)}",
        "const": lambda: f"expected {show(schema)}, got {show(value)}",
        "minimum": lambda: f"must be at least {schema}, got {show(value)}",
        "maximum": lambda: f"must be at most {schema}, got {show(value)}",
        "exclusiveMinimum": lambda: f"must be greater than {schema}, got {show(value)}",
        "exclusiveMaximum": lambda: f"must be less than {schema}, got {show(value)}",
        "pattern": lambda: f"must match the pattern {schema}, got {show(value)}",
        "minLength": lambda: f"must be at least {schema} characters long",
        "maxLength": lambda: f"must be at most {schema} characters long",
        "minItems": lambda: f"must have at least {schema} items",
        "maxItems": lambda: f"must have at most {schema} items",
        "uniqueItems": lambda: "items must be unique",
        "minProperties": lambda: f"must have at least {schema} fields",
        "format": lambda: f"expected a valid {schema}, got {show(value)}",
    }
    make = simple.get(kind)
    return make() if make else fallback
