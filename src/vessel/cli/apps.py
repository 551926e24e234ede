"""`vessel up`: delivering applications from the shell (`delete` has a module of its own).

Embedded mode drives each workflow in this process (`cli/delivering.py`); with a server configured the
server stores the revisions and drives them, and `up` follows it (`cli/following.py`). Either way the
same lines are printed and the command exits 1 when, waiting, an application did not end running (or
suspended for a person).
"""

from __future__ import annotations

from typing import Annotated

import typer

from vessel.cli.backend import remote
from vessel.cli.options import Definitions, Files
from vessel.cli.report import reporting
from vessel.cli.timeouts import DEFAULT_TIMEOUT, Timeout, Wait

IntoNamespace = Annotated[
    str | None,
    typer.Option(
        "-n", "--namespace", help="Deliver into this namespace, whatever the file's metadata.namespace says."
    ),
]


def up(
    files: Files,
    definitions: Definitions = None,
    namespace: IntoNamespace = None,
    wait: Wait = True,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """Deliver the Applications in FILE(s): store a revision and run its workflow."""
    with reporting():
        server = remote()
        if server is not None:
            from vessel.cli import following

            ok = following.up(server, files, definitions or [], namespace, wait, timeout)
        else:
            from vessel.cli.delivering import up_here

            ok = up_here(files, definitions or [], namespace, wait, timeout)
    if not ok:
        raise typer.Exit(1)
