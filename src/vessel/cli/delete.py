"""`vessel delete NAME`: delete an application and everything it delivered.

On a terminal it asks first (`-y/--yes` does not); a script (stdin not a terminal) is not asked. It
waits until everything is deleted or `--timeout` passes. Embedded mode deletes from this process,
retrying failed deletes as their backoff says (`cli/deleting.py`); with a server configured the server
deletes and goes on retrying, and this command waits for it (`cli/following.py`). `--orphan` is for a
target that is gone: what cannot be deleted now is left in place and forgotten, and each such resource
is named with the reason.
"""

from __future__ import annotations

from typing import Annotated

import typer

from vessel.cli.backend import remote
from vessel.cli.options import Name, Namespace
from vessel.cli.report import reporting
from vessel.cli.timeouts import Timeout, Wait, timeout_seconds

Orphan = Annotated[
    bool,
    typer.Option(
        "--orphan", help="Leave in place, and forget, what cannot be deleted now (a target that is gone)."
    ),
]
Yes = Annotated[bool, typer.Option("-y", "--yes", help="Do not ask for confirmation.")]


def delete(
    name: Name,
    namespace: Namespace = "default",
    wait: Wait = True,
    timeout: Timeout = "2m",
    orphan: Orphan = False,
    yes: Yes = False,
) -> None:
    """Delete an application and everything it delivered (or orphan, per its garbage-collect policy)."""
    with reporting():
        server = remote()
        seconds = timeout_seconds(timeout) or 0.0
        if server is not None:
            from vessel.cli import following

            following.delete(server, namespace, name, wait, seconds, orphan, yes)
        else:
            from vessel.cli.deleting import delete_here

            delete_here(namespace, name, wait, seconds, orphan, yes)
