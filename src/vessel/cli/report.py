"""How the CLI talks to people: results on stdout, errors on stderr, never a traceback for our errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from vessel.errors import MultipleErrors, VesselError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def reporting() -> Iterator[None]:
    """Turn a VesselError into a readable message on stderr and exit code 1."""
    try:
        yield
    except MultipleErrors as exc:
        err.print(f"[bold red]error:[/] {len(exc.errors)} problems found", markup=True)
        for problem in exc.errors:
            err.print(f"  {problem.render()}", markup=False)
        raise typer.Exit(1) from None
    except VesselError as exc:
        err.print("[bold red]error:[/] ", end="", markup=True)
        err.print(exc.render(), markup=False)
        raise typer.Exit(1) from None
