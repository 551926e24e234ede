"""The `vessel` command."""

from __future__ import annotations

from typing import Annotated

import typer

from vessel import __version__
from vessel.cli import accounts, apps, defs, revisions, targets, workflow_ops
from vessel.cli.delete import delete
from vessel.cli.diff import diff
from vessel.cli.dry_run import dry_run
from vessel.cli.events import events
from vessel.cli.logs import logs
from vessel.cli.ls import ls
from vessel.cli.run import run
from vessel.cli.stats import stats
from vessel.cli.status import status
from vessel.cli.version import version
from vessel.cli.vet import vet

app = typer.Typer(
    name="vessel",
    help="Vessel: deliver Open Application Model applications (KubeVela format) with Jinja2 definitions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)
app.command("dry-run")(dry_run)
app.command()(apps.up)
app.command()(status)
app.command()(stats)
app.command()(diff)
app.command()(ls)
app.command()(delete)
app.command()(events)
app.command()(logs)
app.command()(run)
app.command()(version)
app.command()(vet)
app.add_typer(revisions.app, name="revision")
app.add_typer(workflow_ops.app, name="workflow")
app.add_typer(targets.app, name="target")
app.add_typer(defs.app, name="def")
app.command()(accounts.audit)
app.add_typer(accounts.users, name="user")
app.add_typer(accounts.tokens, name="token")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vessel {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Vessel command line."""


def main() -> None:
    app()
