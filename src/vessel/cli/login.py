"""`vessel login URL` and `vessel logout`: make the application commands go through a `vessel server`,
and back to this machine's store.

The token is read from a prompt that does not echo it, or from stdin with `--token-stdin` (`vessel
login URL --token-stdin < token-file`, or a CI secret piped in) — never from an argument, which other
users can read in the process list and which stays in the shell's history. It is checked against the
server before it is kept, so a mistyped token is refused at once, and it is never printed. Where it is
kept: `cli/connection.py`.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from vessel.cli.connection import SERVER_ENV, TOKEN_ENV, Connection, forget, save, server_url
from vessel.cli.remote_client import RemoteClient
from vessel.cli.report import err, out, reporting
from vessel.errors import ValidationError

TokenStdin = Annotated[
    bool, typer.Option("--token-stdin", help="Read the token from stdin instead of prompting for it.")
]


def login(
    url: Annotated[str, typer.Argument(help="The server's URL, e.g. https://vessel.example.com:7300.")],
    token_stdin: TokenStdin = False,
) -> None:
    """Log in to a Vessel server: application commands go through it from now on."""
    with reporting():
        server = server_url(url)
        token = _token(token_stdin)
        RemoteClient(Connection(server, token)).check()  # a bad token or a wrong URL: nothing is kept
        path = save(Connection(server, token))
    out.print(f"logged in to {server}; the token is kept in {path} (readable by you alone)")
    if os.environ.get(SERVER_ENV) or os.environ.get(TOKEN_ENV):
        err.print(f"note: {SERVER_ENV}/{TOKEN_ENV} are set, and win over what `vessel login` kept")


def _token(from_stdin: bool) -> str:
    if from_stdin:
        token = sys.stdin.readline().strip()
    else:
        token = typer.prompt("Token", hide_input=True, err=True).strip()
    if not token:
        raise ValidationError(
            "no token given", hint="`vessel token create --user NAME` on the server makes one"
        )
    return token


def logout() -> None:
    """Forget the server `vessel login` kept: commands work on this machine's store again."""
    with reporting():
        server = forget()
    out.print(f"logged out of {server}" if server else "not logged in")
    if os.environ.get(SERVER_ENV):
        err.print(f"note: {SERVER_ENV} is still set: commands still go through {os.environ[SERVER_ENV]}")
