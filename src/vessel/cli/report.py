"""How the CLI talks to people: results on stdout, errors on stderr, never a traceback for our errors.

Exit codes: 1 when what the user asked for is wrong or failed; 2 when Vessel itself cannot work here
(the store cannot be opened: fix the setup, not the input). `EXIT_CODES` is the one place that says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from vessel.errors import MultipleErrors, StoreUnavailableError, VesselError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_CODES: dict[type[VesselError], int] = {StoreUnavailableError: 2}
"""Exit codes other than 1, by error class (the first class in the error's MRO found here wins)."""


def exit_code(exc: VesselError) -> int:
    return next((EXIT_CODES[c] for c in type(exc).__mro__ if c in EXIT_CODES), 1)


@contextmanager
def reporting() -> Iterator[None]:
    """Turn a VesselError into a readable message on stderr and its exit code (1 unless EXIT_CODES says)."""
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
        raise typer.Exit(exit_code(exc)) from None
