"""`vessel stats [NAME] [-n NS] [--since 30d] [-o table|json|yaml]`: the four delivery keys —
deployment frequency, lead time, change failure rate, time to restore — from what the store kept
(`controller.stats` says how each is counted)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from vessel.cli.output import View, ViewOption, show
from vessel.cli.report import out, reporting
from vessel.cli.session import reader
from vessel.controller.accounts import expiry_seconds
from vessel.controller.stats import delivery_keys

Since = Annotated[str, typer.Option(help="How far back: 30d, 12h, 90m…")]


def stats(
    name: Annotated[str | None, typer.Argument(help="One application (default: all).")] = None,
    namespace: Annotated[
        str, typer.Option("-n", "--namespace", help="The application's namespace.")
    ] = "default",
    since: Since = "30d",
    output: ViewOption = View.table,
) -> None:
    """Deployment frequency, lead time, change failure rate and time to restore."""
    with reporting():
        window = expiry_seconds(since, "--since")
        with reader() as ctl:
            app_id = ctl.find(namespace, name).id if name is not None else None
            keys = delivery_keys(ctl.store, ctl.clock.now(), window, app_id)
    show(keys, output, _table)


def _table(keys: dict[str, Any]) -> None:
    table = Table("KEY", "VALUE", box=None, pad_edge=False)
    rows = [
        ("deployments", f"{keys['deployments']} ({keys['deploymentsPerDay']:g}/day)"),
        ("lead time", _spread(keys["leadTimeSeconds"])),
        ("change failure rate", _rate(keys)),
        ("time to restore", f"{_spread(keys['timeToRestoreSeconds'])} ({keys['restores']} restores)"),
    ]
    for key, value in rows:
        table.add_row(Text(key), Text(value))
    out.print(f"since {keys['since']}")
    out.print(table)


def _spread(spread: dict[str, float | None]) -> str:
    if spread["median"] is None:
        return "-"
    return f"median {spread['median']:g}s, p90 {spread['p90']:g}s"


def _rate(keys: dict[str, Any]) -> str:
    if keys["changeFailureRate"] is None:
        return "- (no changes)"
    return f"{keys['changeFailureRate'] * 100:.1f}% ({keys['failedChanges']} of {keys['changes']} changes)"
