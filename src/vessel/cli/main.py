"""The `vessel` command.

Its commands are listed in `cli/commands.py` and imported only when used: this module imports Typer and
nothing else of Vessel's but its version, so `vessel version` starts as fast as Python and Typer do.
"""

from __future__ import annotations

from typing import Annotated

import typer

from vessel import __version__
from vessel.cli.commands import LazyGroup

app = typer.Typer(
    name="vessel",
    help="Vessel: deliver Open Application Model applications (KubeVela format) with Jinja2 definitions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    cls=LazyGroup,
)


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
