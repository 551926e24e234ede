"""`-o table|json|yaml` for every read command, declared once.

A read command builds one plain document (the same shape the REST API returns for that resource) and
hands it to `show` with a function that draws it as a table; `-o json` and `-o yaml` print the document
itself. Typer checks the value against `View`, so an unknown format is a usage error (exit 2) naming the
choices.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer

from vessel.model.redaction import redact_data


class View(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


ViewOption = Annotated[View, typer.Option("-o", "--output", help="Output format: table, json or yaml.")]

Doc = TypeVar("Doc")


def show(document: Doc, view: View, table: Callable[[Doc], None], *, stream: bool = False) -> None:
    """Print `document` as JSON or YAML, or draw it with `table`. `stream`: one of several documents
    printed in turn (a watch): YAML documents then start with `---`, tables are followed by a blank line.

    Every string of the document is redacted first (`model.redaction.redact_data`): what the API returns
    must go through the same function."""
    document = redact_data(document)
    if view == View.json:
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif view == View.yaml:
        import yaml  # only `-o yaml` pays for it

        yaml.safe_dump(
            _plain(document), sys.stdout, sort_keys=False, allow_unicode=True, explicit_start=stream
        )
    else:
        table(document)
        if stream:
            sys.stdout.write("\n")
    sys.stdout.flush()


def _plain(value: Any) -> Any:
    """YAML of the same document JSON would print (tuples as lists, no Python tags)."""
    return json.loads(json.dumps(value))
