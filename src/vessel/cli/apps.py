"""`vessel up | status | ls | delete | revision | events`: the application lifecycle from the shell.

Embedded mode: `up` (and the workflow operations) drive the workflow in this process until it finishes,
suspends, fails or `--timeout` passes; `vessel run` keeps everything reconciled in the foreground.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from vessel.cli.inputs import load_inputs
from vessel.cli.options import Definitions, Files, Format, Name, Namespace, Output
from vessel.cli.progress import Progress
from vessel.cli.report import err, out, reporting
from vessel.cli.session import controller
from vessel.controller.controller import Controller
from vessel.controller.status import status_of
from vessel.definitions.registry import Registry
from vessel.errors import ValidationError
from vessel.model.application import Application
from vessel.model.duration import parse_duration
from vessel.render.application import render_application
from vessel.store.records import AppRecord, Phase

Wait = Annotated[bool, typer.Option("--wait/--no-wait", help="Drive the workflow until it settles.")]
Timeout = Annotated[str | None, typer.Option("--timeout", help="Stop waiting after this long (e.g. 5m).")]
OK_PHASES = (Phase.RUNNING, Phase.SUSPENDING)


def timeout_seconds(timeout: str | None) -> float | None:
    if timeout is None:
        return None
    try:
        return parse_duration(timeout)
    except ValueError as exc:
        raise ValidationError(f"--timeout: {exc}") from None


def up(files: Files, definitions: Definitions = None, wait: Wait = True, timeout: Timeout = None) -> None:
    """Deliver the Applications in FILE(s): store a revision and run its workflow."""
    with reporting():
        seconds = timeout_seconds(timeout)
        loaded, registry = load_inputs(files, definitions or [])
        if not loaded.applications:
            raise ValidationError("no Application found in the given files", hint="add a kind: Application")
        apps = loaded.applications
        for app in apps:
            render_application(app, registry)  # every mistake is reported before anything is stored
        with controller(registry) as ctl:
            results = [_up_one(ctl, app, registry, wait, seconds) for app in apps]
    if not all(r.phase in OK_PHASES for r in results) and wait:
        raise typer.Exit(1)


def _source_dir(app: Application) -> str | None:
    """The directory of the Application's file: local processes see it as $(VESSEL_SOURCE_DIR), so an app
    can run scripts shipped next to its YAML. Handed to the controller beside the Application, never
    written into it (no machine path in a revision, its digest or a delivered object)."""
    return None if app.source.file is None else str(Path(app.source.file).resolve().parent)


def _up_one(
    ctl: Controller, app: Application, registry: Registry, wait: bool, seconds: float | None
) -> AppRecord:
    submitted = ctl.submit(app, registry, source_dir=_source_dir(app))
    if submitted.revision is None:
        out.print(f"{app.name}: unchanged (revision {submitted.app.revision})")
    else:
        out.print(f"{app.name}: revision {submitted.revision} created")
    record = submitted.app
    if wait:
        record = ctl.drive(record, timeout=seconds, progress=Progress(ctl, out))
        print_summary(ctl, record, seconds)
    return record


def print_summary(ctl: Controller, app: AppRecord, seconds: float | None) -> None:
    if app.phase == Phase.RUNNING:
        out.print(f"[green]{app.name} is running[/] (revision {app.revision})")
    elif app.phase == Phase.SUSPENDING:
        out.print(f"[yellow]{app.name} is suspended[/]: {app.message}")
        out.print(f"  resume with: vessel workflow resume {app.name} -n {app.namespace}")
    elif app.phase == Phase.RUNNING_WORKFLOW:
        err.print(
            f"{app.name}: still delivering after {seconds:g}s: {app.message}" if seconds else app.message
        )
    else:
        err.print(f"[red]{app.name}: {app.phase}[/] {app.message}")


def status(
    name: Name,
    namespace: Namespace = "default",
    output: Annotated[str, typer.Option("-o", "--output", help="table or json")] = "table",
    tree: Annotated[bool, typer.Option("--tree", help="Show resources per target and component.")] = False,
) -> None:
    """Show an application's phase, workflow steps and services."""
    with reporting(), controller() as ctl:
        doc = status_of(ctl, ctl.find(namespace, name), instances=tree)
    if output == "json":
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    _print_status(doc, tree)


def _print_status(doc: dict[str, Any], tree: bool) -> None:
    out.print(
        f"[bold]{doc['namespace']}/{doc['name']}[/]  phase: {doc['phase']}  revision: {doc['revision']}"
        f" (latest {doc['latestRevision']})"
    )
    if doc["message"]:
        out.print(Text(f"  {doc['message']}"))
    wf = doc["workflow"]
    steps = Table(
        "STEP",
        "TYPE",
        "PHASE",
        "MESSAGE",
        box=None,
        pad_edge=False,
        title=f"workflow: {wf['phase']}",
        title_justify="left",
    )
    for step in wf["steps"]:
        steps.add_row(*(Text(str(c)) for c in (step["name"], step["type"], step["phase"], step["message"])))
        for sub in step["subSteps"]:
            steps.add_row(
                *(Text(str(c)) for c in ("  " + sub["name"], sub["type"], sub["phase"], sub["message"]))
            )
    out.print(steps)
    services = Table("COMPONENT", "TARGET", "HEALTHY", "ENDPOINT", "MESSAGE", box=None, pad_edge=False)
    for svc in doc["services"]:
        cells = (
            svc["component"],
            svc["target"],
            "yes" if svc["healthy"] else "no",
            svc["endpoint"],
            svc["message"],
        )
        services.add_row(*(Text(str(c)) for c in cells))
    out.print(services)
    if tree:
        out.print(_tree(doc))


def _tree(doc: dict[str, Any]) -> Tree:
    """target → component → resource → instance (pod, process) → container."""
    root = Tree(f"{doc['namespace']}/{doc['name']}")
    targets: dict[str, Tree] = {}
    components: dict[tuple[str, str], Tree] = {}
    for res in doc["resources"]:
        if res["target"] not in targets:
            targets[res["target"]] = root.add(f"target {res['target']}")
        at = (res["target"], res["component"])
        if at not in components:
            components[at] = targets[res["target"]].add(res["component"])
        comp = components[at]
        where = f"{res['namespace']}/" if res["namespace"] else ""
        line = f"{res['kind']} {where}{res['name']}  [{res['state']}]"
        leaf = comp.add(Text(line + (f"  {res['message']}" if res.get("message") else "")))
        for inst in res.get("instances", []):
            done = inst["phase"].lower() == "succeeded"
            ready = "ready" if inst["ready"] else "completed" if done else "not ready"
            text = f"{inst['name']}  {inst['phase']}  {ready}  restarts {inst['restarts']}"
            pod = leaf.add(Text(text + (f"  {inst['message']}" if inst["message"] else "")))
            for c in inst["containers"] if len(inst["containers"]) > 1 or not inst["ready"] else []:
                pod.add(Text(f"{c['name']}  {c['state']}  restarts {c['restarts']}"))
    return root


def ls(output: Annotated[str, typer.Option("-o", "--output", help="table or json")] = "table") -> None:
    """List applications."""
    with reporting(), controller() as ctl:
        apps = ctl.store.apps()
    rows = [
        {
            "name": a.name,
            "namespace": a.namespace,
            "phase": a.phase,
            "revision": a.revision,
            "message": a.message,
        }
        for a in apps
    ]
    if output == "json":
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    table = Table("NAMESPACE", "NAME", "PHASE", "REVISION", "MESSAGE", box=None, pad_edge=False)
    for r in rows:
        table.add_row(*(Text(str(r[k])) for k in ("namespace", "name", "phase", "revision", "message")))
    out.print(table)


def delete(name: Name, namespace: Namespace = "default", wait: Wait = True, timeout: Timeout = "2m") -> None:
    """Delete an application and everything it delivered (or orphan, per its garbage-collect policy)."""
    with reporting(), controller() as ctl:
        seconds = timeout_seconds(timeout) or 0
        app = ctl.find(namespace, name)
        deadline = time.monotonic() + seconds
        while not ctl.delete(app):
            if not wait or time.monotonic() > deadline:
                err.print(
                    f"{name}: deletion started; some resources could not be deleted yet (see vessel events)"
                )
                raise typer.Exit(1)
            time.sleep(1.0)
            app = ctl.find(namespace, name)
    out.print(f"{name} deleted")


revision_app = typer.Typer(help="Inspect revisions.", no_args_is_help=True)


@revision_app.command("list")
def revision_list(name: Name, namespace: Namespace = "default", output: Output = Format.yaml) -> None:
    """List an application's revisions."""
    with reporting(), controller() as ctl:
        app = ctl.find(namespace, name)
        revisions = ctl.store.revisions(app.id)
    if output == Format.json:
        json.dump(
            [
                {"revision": n, "digest": d, "createdAt": at, "current": n == app.revision}
                for n, d, at in revisions
            ],
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
        return
    table = Table("REVISION", "CREATED", "DIGEST", "CURRENT", box=None, pad_edge=False)
    for number, digest, at in revisions:
        table.add_row(
            str(number),
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)),
            digest[:12],
            "*" if number == app.revision else "",
        )
    out.print(table)


def events(name: Name, namespace: Namespace = "default") -> None:
    """Show an application's events, oldest first."""
    with reporting(), controller() as ctl:
        app = ctl.find(namespace, name)
        found = ctl.store.events(app.id)
    table = Table("TIME", "TYPE", "REASON", "MESSAGE", box=None, pad_edge=False)
    for e in found:
        table.add_row(time.strftime("%H:%M:%S", time.localtime(e.at)), e.type, e.reason, Text(e.message))
    out.print(table)
