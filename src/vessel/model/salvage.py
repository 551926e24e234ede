"""Reading an Application past its unknown fields, so `vessel vet` reports the rest of its problems too.

An unknown field of the Application itself (`dependOn` for `dependsOn`) stops parsing: strictly, nothing
after it can be trusted. `vet` wants every problem in one pass, so it takes the unknown fields out (each
reported, with a suggestion) and reads the remainder, which is then checked and rendered as usual. Only
`vet` does this: `up` and `dry-run` never deliver or print what a user did not write correctly.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema

from vessel.errors import ValidationError
from vessel.model.application_schema import APPLICATION_SCHEMA
from vessel.model.paths import Path
from vessel.model.schema_check import describe, formats, unexpected
from vessel.model.yaml_source import Document

_VALIDATOR = jsonschema.Draft202012Validator(APPLICATION_SCHEMA, format_checker=formats())


def without_unknown_fields(doc: Document) -> tuple[Document, list[ValidationError]]:
    """`doc` without the fields the Application schema does not know, and an error naming each."""
    violations = [v for v in _VALIDATOR.iter_errors(doc.data) if v.validator == "additionalProperties"]
    if not violations:
        return doc, []
    data = copy.deepcopy(doc.data)
    problems: list[ValidationError] = []
    for violation in violations:
        for key in unexpected(violation):
            _drop(data, (*violation.absolute_path, key))
        problems += [
            ValidationError(message, doc.source.locate(path)) for path, message in describe(violation)
        ]
    return Document(data, doc.source, doc.index), problems


def _drop(data: Any, path: Path) -> None:
    for part in path[:-1]:
        data = data[part]
    data.pop(path[-1], None)
