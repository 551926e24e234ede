"""`vessel status NAME [-o table|json|yaml] [--tree] [-w]`: an application's phase, steps and services
(each unhealthy trait on a row of its own under its component, with its message).

The document is `controller.status.status_of`'s, from this machine's store or from the server
(`cli/backend.py`); this module only draws it. `-w` watches like `kubectl
get -w`: the status is printed now and again whenever it changes (as another JSON or YAML document with
`-o json|yaml`), until the application settles (exit 0; 1 if its workflow failed or was terminated), is
deleted (exit 0), `--timeout` passes (exit 1) or Ctrl-C (exit 130). The watch drives nothing: when no
Vessel process is driving the workflow it says so (on stderr) instead of waiting in silence.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from vessel.cli.backend import Client, Observation, client
from vessel.cli.options import Name, Namespace
from vessel.cli.output import View, ViewOption, show
from vessel.cli.report import err, out, reporting, styled
from vessel.cli.timeouts import timeout_seconds

INTERRUPTED = 130  # 128 + SIGINT
ShowTree = Annotated[bool, typer.Option("--tree", help="Show resources per target and component.")]
Watch = Annotated[
    bool, typer.Option("--watch", "-w", help="Print the status again whenever it changes, until it settles.")
]
WatchTimeout = Annotated[
    str | None, typer.Option("--timeout", help="With --watch: stop watching after this long (e.g. 5m).")
]


def status(
    name: Name,
    namespace: Namespace = "default",
    output: ViewOption = View.table,
    tree: ShowTree = False,
    watching: Watch = False,
    timeout: WatchTimeout = None,
) -> None:
    """Show an application's phase, workflow steps and services."""
    if timeout is not None and not watching:
        raise typer.BadParameter("only applies with --watch", param_hint="--timeout")
    with reporting():
        seconds = timeout_seconds(timeout) if timeout is not None else None
        reached = client()
        if not watching:
            doc = reached.status(namespace, name, tree=tree)
            show(doc, output, lambda d: print_status(d, tree))
            return
        code = _watch(reached, namespace, name, output, tree, seconds)
    if code:
        raise typer.Exit(code)


def _watch(reached: Client, namespace: str, name: str, view: View, tree: bool, seconds: float | None) -> int:
    """Print each change; the exit code says how the watch ended."""
    told = False
    last: Observation | None = None
    try:
        for last in reached.watch(namespace, name, tree=tree, timeout=seconds):
            if last.document is None:  # on stderr when stdout carries documents
                (out if view == View.table else err).print(f"{namespace}/{name} was deleted")
                return 0
            show(last.document, view, lambda d: print_status(d, tree), stream=True)
            if not last.driven and not told:
                err.print(
                    f"{name}: no Vessel process is driving its workflow right now; it moves on when one "
                    "does (`vessel run`, or `vessel up` again)"
                )
                told = True
    except KeyboardInterrupt:
        return INTERRUPTED
    if last is not None and last.settled:
        return 1 if last.failed else 0
    phase = last.document["phase"] if last is not None and last.document else "unknown"
    err.print(f"{name}: not settled after {seconds or 0:g}s (phase {phase}); stopped watching")
    return 1


def print_status(doc: dict[str, Any], tree: bool) -> None:
    out.print(
        styled(
            f"{doc['namespace']}/{doc['name']}",
            "bold",
            f"  phase: {doc['phase']}  revision: {doc['revision']} (latest {doc['latestRevision']})",
        )
    )
    if doc["message"]:
        out.print(Text(f"  {doc['message']}"))
    for warning in doc.get("warnings", ()):
        out.print(styled("  warning:", "yellow", f" {warning}"))
    out.print(_steps(doc["workflow"]))
    out.print(_services(doc["services"]))
    if tree:
        out.print(_tree(doc))


def _steps(workflow: dict[str, Any]) -> Table:
    steps = Table(
        "STEP",
        "TYPE",
        "PHASE",
        "MESSAGE",
        box=None,
        pad_edge=False,
        title=f"workflow: {workflow['phase']}",
        title_justify="left",
    )
    for step in workflow["steps"]:
        steps.add_row(*(Text(str(c)) for c in (step["name"], step["type"], step["phase"], step["message"])))
        for sub in step["subSteps"]:
            cells = ("  " + sub["name"], sub["type"], sub["phase"], sub["message"])
            steps.add_row(*(Text(str(c)) for c in cells))
    return steps


def _services(services: list[dict[str, Any]]) -> Table:
    """One row per service; under it, one per unhealthy trait with the trait's message."""
    table = Table("COMPONENT", "TARGET", "HEALTHY", "ENDPOINT", "MESSAGE", box=None, pad_edge=False)
    for svc in services:
        healthy = "yes" if svc["healthy"] else "no"
        cells = (svc["component"], svc["target"], healthy, svc["endpoint"], svc["message"])
        table.add_row(*(Text(str(c)) for c in cells))
        for trait in svc["traits"]:
            if not trait["healthy"]:
                cells = (f"  trait {trait['type']}", "", "no", "", trait["message"] or "not healthy")
                table.add_row(*(Text(str(c)) for c in cells))
    return table


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
        _resource(components[at], res)
    return root


def _resource(component: Tree, res: dict[str, Any]) -> None:
    where = f"{res['namespace']}/" if res["namespace"] else ""
    line = f"{res['kind']} {where}{res['name']}  [{res['state']}]"
    leaf = component.add(Text(line + (f"  {res['message']}" if res.get("message") else "")))
    for inst in res.get("instances", []):
        done = inst["phase"].lower() == "succeeded"
        ready = "ready" if inst["ready"] else "completed" if done else "not ready"
        text = f"{inst['name']}  {inst['phase']}  {ready}  restarts {inst['restarts']}"
        pod = leaf.add(Text(text + (f"  {inst['message']}" if inst["message"] else "")))
        for c in inst["containers"] if len(inst["containers"]) > 1 or not inst["ready"] else []:
            pod.add(Text(f"{c['name']}  {c['state']}  restarts {c['restarts']}"))
