"""The `vessel` program: the CLI's commands, and `vessel server` from the API package.

The CLI and the API are siblings on the top layer and never import each other (DESIGN.md); this module,
above both, is the one place that puts them into one command.
"""

from __future__ import annotations

from vessel.api.command import app as server_app
from vessel.cli.main import app

app.add_typer(server_app, name="server")


def main() -> None:
    app()
