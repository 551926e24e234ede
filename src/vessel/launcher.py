"""The `vessel` program: the CLI's commands, and `vessel server` from the API package.

The CLI and the API are siblings on the top layer and never import each other (DESIGN.md); this module,
above both, is the one place that puts them into one command.
"""

from __future__ import annotations

from vessel.cli.commands import COMMANDS
from vessel.cli.main import app

# Imported when `vessel server …` runs, like every command (cli/commands.py): the API's libraries are not
# a cost of the other commands.
COMMANDS["server"] = "vessel.api.command:app"


def main() -> None:
    app()
