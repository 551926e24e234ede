"""A form generated from a definition's parameter schema (JSON Schema), and the properties its answers make.

Each parameter becomes one widget by its schema: an `enum` a choice, a string a text field, an integer
or number a number field, a boolean a checkbox, an object with `properties` a group of its own widgets;
a list of strings or numbers is a text box of one item a line, a map (`additionalProperties`) one
`key: value` a line, and anything else (a list of objects, `oneOf`…) a small YAML box whose placeholder
shows one item built from the schema — but a list of flat objects (each field a scalar or a choice, as
`ports`) is rows of those fields, one row an item, with a button that adds a row. Descriptions,
defaults and `required` come from the schema.

`properties` reads the answers back (form fields named `p.` + the parameter's dotted path), typed as the
schema says; a value equal to its default is left out (the definition applies defaults), as is an empty
one. Every answer of the wrong type is reported at once, each naming its field
(`properties.ports: expected a YAML list…`), as the rest of Vessel names fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from vessel.errors import ValidationError, VesselError, raise_collected

FIELD = "p."  # the prefix of every form field that is a parameter
MAX_DEPTH = 4  # groups nested deeper are one YAML box
MAX_ROWS = 50  # rows of one list of objects
GROW = "grow"  # the form field naming the list a row is added to (the form is shown again)
FLAT = ("text", "integer", "number", "checkbox", "select")
SCALARS = {"string": str, "integer": int, "number": float, "boolean": bool}


@dataclass(frozen=True)
class Widget:
    path: str  # the parameter's dotted path ("limit.cpu")
    kind: str  # text | integer | number | checkbox | select | lines | map | yaml | group | rows
    description: str
    required: bool
    default: Any
    options: tuple[str, ...] = ()
    children: tuple[Widget, ...] = ()
    example: str = ""  # what a YAML box could hold
    item: Mapping[str, Any] | None = field(default=None, compare=False)  # the item schema of rows

    @property
    def name(self) -> str:
        return FIELD + self.path

    @property
    def label(self) -> str:
        return self.path.rpartition(".")[2]

    def filled(self, answers: Mapping[str, str]) -> bool:
        """Whether a field of this group was answered other than its default (a group starts folded
        unless one was)."""
        if answers.get(GROW, "").startswith(f"{self.path}."):  # a row was just added in it
            return True
        if self.kind == "group":
            return any(child.filled(answers) for child in self.children)
        if self.kind == "rows":
            return any(w.filled(answers) for row in self.rows(answers) for w in row)
        if self.kind == "checkbox":
            return self.name in answers and self.default is not True
        given = answers.get(self.name, "").strip()
        return bool(given) and given != self.shown({}).strip()

    def rows(self, answers: Mapping[str, str]) -> list[list[Widget]]:
        """The widgets of each row of a list of objects: as many rows as were answered (at least one),
        and one more when the form was sent to add one to this list."""
        pattern = re.compile(rf"{re.escape(self.name)}\.(\d+)\.")
        found = [int(m.group(1)) for k in answers if (m := pattern.match(k))]
        count = max(found, default=0) + 1 + (answers.get(GROW) == self.path)
        item = self.item or {}
        return [widgets(item, f"{self.path}.{i}.", MAX_DEPTH) for i in range(min(count, MAX_ROWS))]

    def shown(self, answers: Mapping[str, str]) -> str:
        """The value the field shows: the answer given, else the default (as the field writes it)."""
        if self.name in answers:
            return answers[self.name]
        return "" if self.default is None else _written(self.kind, self.default)


def widgets(schema: Mapping[str, Any], prefix: str = "", depth: int = 0) -> list[Widget]:
    """One widget for each parameter of the object `schema`, in the schema's order."""
    required = set(schema.get("required") or ())
    return [
        widget(f"{prefix}{key}", sub, key in required, depth)
        for key, sub in (schema.get("properties") or {}).items()
        if isinstance(sub, Mapping)
    ]


def widget(path: str, schema: Mapping[str, Any], required: bool, depth: int = 0) -> Widget:
    kind = kind_of(schema, depth)
    options = tuple(_written("text", o) for o in schema["enum"]) if kind == "select" else ()
    children = tuple(widgets(schema, f"{path}.", depth + 1)) if kind == "group" else ()
    item = schema["items"] if kind == "rows" else None
    return Widget(
        path=path,
        kind=kind,
        description=str(schema.get("description") or ""),
        required=required,
        default=schema.get("default"),
        options=options,
        children=children,
        example=_example_text(schema) if kind == "yaml" else "",
        item=item,
    )


def kind_of(schema: Mapping[str, Any], depth: int) -> str:
    kind = schema.get("type")
    if "enum" in schema:
        return "select"
    if kind == "string":
        return "text"
    if kind in ("integer", "number"):
        return str(kind)
    if kind == "boolean":
        return "checkbox"
    if kind == "object" and schema.get("properties") and depth < MAX_DEPTH:
        return "group"
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return "map" if _scalar(schema["additionalProperties"]) else "yaml"
    if kind == "array" and _scalar(schema.get("items") or {}):
        return "lines"
    if kind == "array" and depth < MAX_DEPTH and _flat(schema.get("items")):
        return "rows"
    return "yaml"


def _scalar(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get("type") in SCALARS and "enum" not in schema


def _flat(schema: Any) -> bool:
    """An object whose every field is one input (a scalar or a choice): a row of a form."""
    if not isinstance(schema, Mapping) or schema.get("type") != "object" or not schema.get("properties"):
        return False
    fields = schema["properties"].values()
    return all(isinstance(f, Mapping) and kind_of(f, MAX_DEPTH) in FLAT for f in fields)


def properties(found: list[Widget], answers: Mapping[str, str]) -> dict[str, Any]:
    """The properties the answers give, typed by their widgets; every wrong answer raised at once."""
    problems: list[VesselError] = []
    result = _collect(found, answers, problems)
    raise_collected(problems)
    return result


def _collect(found: list[Widget], answers: Mapping[str, str], problems: list[VesselError]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for w in found:
        try:
            value = _compound(w, answers, problems) if w.kind in ("group", "rows") else _value(w, answers)
        except ValidationError as exc:
            problems.append(exc)
            continue
        if value in (None, {}, []) or (value == w.default and not w.required):
            continue
        result[w.label] = value
    return result


def _compound(w: Widget, answers: Mapping[str, str], problems: list[VesselError]) -> Any:
    if w.kind == "group":
        return _collect(list(w.children), answers, problems)
    rows = (
        _collect(row, answers, problems) for row in w.rows({k: v for k, v in answers.items() if k != GROW})
    )
    return [row for row in rows if row]


def _value(w: Widget, answers: Mapping[str, str]) -> Any:
    if w.kind == "checkbox":
        return w.name in answers and answers[w.name] != ""
    text = answers.get(w.name, "").strip()
    if not text:
        return None
    if w.kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise _wrong(w, f"expected an integer, got {text!r}")
        return int(text)
    if w.kind == "number":
        return _number(w, text)
    if w.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if w.kind in ("map", "yaml"):
        return _yaml(w, text)
    if w.kind == "select":
        return _choice(w, text)
    return text


def _number(w: Widget, text: str) -> int | float:
    try:
        number = float(text)
    except ValueError:
        raise _wrong(w, f"expected a number, got {text!r}") from None
    return int(number) if number.is_integer() and "." not in text else number


def _choice(w: Widget, text: str) -> Any:
    if text not in w.options:
        raise _wrong(w, f"{text!r} is not one of {', '.join(w.options)}")
    return yaml.safe_load(text) if text in ("true", "false") or text.lstrip("-").isdigit() else text


def _yaml(w: Widget, text: str) -> Any:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1} of the box)" if mark is not None else ""
        raise _wrong(w, f"not YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    expected = dict if w.kind == "map" else None
    if expected is not None and not isinstance(value, expected):
        raise _wrong(w, "expected one `key: value` a line")
    return value


def _wrong(w: Widget, message: str) -> ValidationError:
    path = re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", w.path)  # ports.0.port -> ports[0].port, as paths are named
    return ValidationError(f"properties.{path}: {message}")


def _written(kind: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind in ("lines",) and isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if kind in ("map", "yaml") and value is not None:
        return yaml.safe_dump(value, sort_keys=False, default_flow_style=False).strip()
    return str(value)


def _example_text(schema: Mapping[str, Any]) -> str:
    sample = example(schema)
    return yaml.safe_dump(sample, sort_keys=False, default_flow_style=False).strip() if sample else ""


def example(schema: Mapping[str, Any], depth: int = 0) -> Any:
    """A value `schema` accepts, made of its required fields, defaults and enum choices (a placeholder
    for a YAML box, and the properties of a definition's example)."""
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "array":
        item = example(schema.get("items") or {}, depth + 1)
        return [item] if item not in (None, {}) else []
    if kind == "object" or "properties" in schema:
        fields = schema.get("properties") or {}
        return {k: example(fields.get(k) or {}, depth + 1) for k in schema.get("required") or ()}
    return {"string": "example", "integer": 1, "number": 1, "boolean": False}.get(str(kind))
