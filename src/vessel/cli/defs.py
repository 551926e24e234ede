"""`vessel def …`: list, show, vet and render definitions.

With a server configured, `list`, `show` and `render` answer with the server's definitions (those its
applications are rendered with), and `vet` sends the files to the server, which checks them as this
machine would (`controller/authoring.py` either way: the same output, the same errors). `--definitions`
names directories on this machine, so it says it does not work through a server instead of answering
for definitions other than the server's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from vessel.cli.backend import client, remote
from vessel.cli.manifests import items, write_json, write_yaml
from vessel.cli.options import Definitions, Format, Output
from vessel.cli.output import View, ViewOption, show
from vessel.cli.report import out, reporting, styled
from vessel.definitions.definition import Kind
from vessel.errors import ValidationError

app = typer.Typer(help="Inspect, check and try out definitions.", no_args_is_help=True)


def _local_only(what: str) -> None:
    """Refuse `what` when a server is configured: it would answer for this machine's definitions."""
    if remote() is not None:
        from vessel.cli.remote_client import not_remotely

        raise not_remotely(what, "it reads this machine's definitions, not the server's")


@app.command("list")
def list_(definitions: Definitions = None, output: ViewOption = View.table) -> None:
    """List every definition: kind, name, where it comes from, and what it does."""
    with reporting():
        if definitions:
            _local_only("--definitions")
            from vessel.cli.embedded import EmbeddedClient

            found = EmbeddedClient().definitions_from(definitions)
        else:
            found = client().definitions()
    show(found, output, _list_table)


def _list_table(rows: list[dict[str, Any]]) -> None:
    """One row per definition; a KubeVela type Vessel refuses says so, and why, instead of its purpose."""
    table = Table("KIND", "NAME", "TARGETS", "DESCRIPTION", box=None, pad_edge=False)
    for d in rows:
        about = f"REFUSED: {d['refused']}" if d.get("refused") else d["description"]
        cells = (Kind(d["kind"]).noun, d["name"], ",".join(d["targetTypes"]) or "-", about)
        table.add_row(*(Text(cell) for cell in cells))
    out.print(table)


@app.command("show")
def show_(
    name: str,
    kind: Annotated[str | None, typer.Option(help="component, trait, policy or 'workflow step'")] = None,
    definitions: Definitions = None,
    output: ViewOption = View.table,
) -> None:
    """Describe one definition and its parameters."""
    with reporting():
        if definitions:
            _local_only("--definitions")
            from vessel.cli.embedded import EmbeddedClient

            doc = EmbeddedClient().definition_from(name, kind, definitions)
        else:
            doc = client().definition(name, kind)
    show(doc, output, _describe)


def _describe(d: dict[str, Any]) -> None:
    out.print(styled(d["name"], "bold", f" ({d['kind']}, from {d['origin']})"))
    if d["description"]:
        out.print(d["description"])
    if d["workload"]:
        out.print(f"workload: {d['workload']}")
    if d["appliesToWorkloads"]:
        out.print(f"applies to: {', '.join(d['appliesToWorkloads'])}")
    if d.get("conflictsWith"):
        out.print(f"conflicts with: {', '.join(d['conflictsWith'])}")
    if d["kind"] == Kind.TRAIT.value:
        out.print(
            "pod-disruptive: yes (changing it on a delivered component restarts its pods)"
            if d.get("podDisruptive")
            else "pod-disruptive: no"
        )
    if d["targetTypes"]:
        out.print(f"target types: {', '.join(d['targetTypes'])}")
    table = Table("PARAMETER", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION", box=None, pad_edge=False)
    for f in d["parameters"]:
        default = "" if f["default"] is None else json.dumps(f["default"])
        cells = (f["name"], f["type"], "yes" if f["required"] else "", default, f["description"])
        table.add_row(*(Text(cell) for cell in cells))
    out.print()
    out.print(table)
    _describe_step(d)


def _describe_step(d: dict[str, Any]) -> None:
    """If Vessel refuses the type, why; a workflow step's outputs (what `outputs[].valueFrom` reads)."""
    if d.get("refused"):
        out.print()
        out.print(Text(f"refused: {d['refused']}"))
    if d.get("outputs"):
        table = Table("OUTPUT", "DESCRIPTION", box=None, pad_edge=False)
        for o in d["outputs"]:
            table.add_row(Text(o["name"]), Text(o["description"]))
        out.print()
        out.print(table)


@app.command()
def vet(files: Annotated[list[Path], typer.Argument(help="Definition YAML files or directories.")]) -> None:
    """Check definitions: schema, template syntax, and a render with the schema's defaults."""
    with reporting():
        found = client().vet_definitions(files)
    for d in found:
        out.print(styled("ok", "green", f" {Kind(d['kind']).noun} {d['name']} ({d['origin']})"))
        for note in d["notes"]:
            out.print(Text(f"   {note}"))


@app.command()
def render(
    name: str,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="key=value (dotted keys nest; YAML values).")
    ] = None,
    properties: Annotated[Path | None, typer.Option(help="YAML file of properties.")] = None,
    kind: Annotated[str | None, typer.Option(help="component or trait, when both have the name")] = None,
    definitions: Definitions = None,
    output: Output = Format.yaml,
) -> None:
    """Render one component or trait definition with the given properties."""
    with reporting():
        props = _properties(properties, set_ or [])
        if definitions:
            _local_only("--definitions")
            from vessel.cli.embedded import EmbeddedClient

            document = EmbeddedClient().render_definition_from(name, kind, props, definitions)
        else:
            document = client().render_definition(name, kind, props)
    (write_json if output == Format.json else write_yaml)(items(document), sys.stdout)


def _properties(file: Path | None, assignments: list[str]) -> dict[str, Any]:
    from vessel.model.yaml_source import read_file

    props: dict[str, Any] = {}
    if file is not None:
        docs = read_file(str(file))
        props = dict(docs[0].data) if docs and isinstance(docs[0].data, dict) else {}
    for item in assignments:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ValidationError(f"--set {item!r}: expected key=value")
        _assign(props, key.split("."), _scalar(key, raw))
    return props


def _scalar(key: str, raw: str) -> Any:
    """A --set value typed like a YAML scalar, read as strictly as a file (a 5,000-digit integer is an
    error naming the option, not a traceback)."""
    from vessel.model.yaml_source import read_text

    docs = read_text(raw, f"--set {key}") if raw else []
    return docs[0].data if docs else ""


def _assign(target: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        target = target.setdefault(key, {})
        if not isinstance(target, dict):
            raise ValidationError(f"--set {'.'.join(keys)}: {key!r} is not an object")
    target[keys[-1]] = value
