"""`vessel workflow suspend | resume | terminate | restart | rollback`.

Embedded mode operates and drives the run in this process (`cli/operating.py`); with a server
configured the server does, and `--wait` follows it (`cli/following.py`). Both print the same lines.
"""

from __future__ import annotations

from typing import Annotated

import typer

from vessel.cli.backend import remote
from vessel.cli.options import Name, Namespace
from vessel.cli.report import out, reporting
from vessel.cli.timeouts import DEFAULT_TIMEOUT, Timeout, Wait

app = typer.Typer(help="Control an application's workflow.", no_args_is_help=True)


def _operate(
    operation: str,
    namespace: str,
    name: str,
    revision: str | None = None,
    wait: bool = False,  # suspend and terminate never wait
    timeout: str = DEFAULT_TIMEOUT,
) -> None:
    with reporting():
        server = remote()
        if server is None:
            from vessel.cli.operating import operate_here

            operate_here(operation, namespace, name, revision, wait, timeout)  # drives with wait
            return
        from vessel.cli import following

        doc = server.operate(namespace, name, operation, revision)
        if operation == "rollback":
            out.print(f"{name}: rolling back to revision {doc['revision']}")
        else:
            out.print(f"{name}: workflow {operation}d")  # suspended, resumed, terminated, restarted
        if wait and operation not in ("suspend", "terminate"):
            with following.watching(name):
                following.follow(server, namespace, name, timeout)


@app.command()
def suspend(name: Name, namespace: Namespace = "default") -> None:
    """Pause the running workflow (resume continues where it stopped)."""
    _operate("suspend", namespace, name)


@app.command()
def resume(
    name: Name, namespace: Namespace = "default", wait: Wait = True, timeout: Timeout = DEFAULT_TIMEOUT
) -> None:
    """Resume a suspended workflow (this also approves a deploy step with auto: false)."""
    _operate("resume", namespace, name, wait=wait, timeout=timeout)


@app.command()
def terminate(name: Name, namespace: Namespace = "default") -> None:
    """Stop the workflow for good (it cannot be resumed; restart starts a new run)."""
    _operate("terminate", namespace, name)


@app.command()
def restart(
    name: Name, namespace: Namespace = "default", wait: Wait = True, timeout: Timeout = DEFAULT_TIMEOUT
) -> None:
    """Run the current revision's workflow again from the start."""
    _operate("restart", namespace, name, wait=wait, timeout=timeout)


@app.command()
def rollback(
    name: Name,
    namespace: Namespace = "default",
    revision: Annotated[
        str | None,
        typer.Option(
            help="Revision to deliver: its number or its publishVersion (default: the previous one)."
        ),
    ] = None,
    wait: Wait = True,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """Deliver an earlier revision again, exactly as it rendered."""
    _operate("rollback", namespace, name, revision, wait, timeout)
