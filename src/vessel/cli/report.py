"""How the CLI talks to people: results on stdout, errors on stderr, never a traceback for our errors,
never a secret (both consoles redact what they print: `RedactingConsole`).

Nothing printed is ever parsed as Rich markup or emoji codes: the two consoles have both turned off,
because almost everything the CLI prints carries data — step messages, the body of an endpoint's
answer, names — and `[/x]` in data would otherwise stop the command with a MarkupError (or `[link=…]`
smuggle a hyperlink in). Styles are given structurally instead: `styled("error:", "bold red", text)`
builds a `rich.text.Text` whose label is styled and whose data is plain.

Exit codes: 1 when what the user asked for is wrong or failed; 2 when Vessel itself cannot work here
(the store cannot be opened, the configured server cannot be reached: fix the setup, not the input).
A server refusing the caller (a bad token, a role too weak) is 1, as any refusal of what was asked.
`EXIT_CODES` is the one place that says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import typer
from rich.console import Console
from rich.text import Text

from vessel.errors import MultipleErrors, ServerUnreachableError, StoreUnavailableError, VesselError
from vessel.model.redaction import redact


class _Redacted:
    """A text stream whose writes go through `redaction.redact` (everything else is the stream's)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(redact(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class RedactingConsole(Console):
    """A console that masks every secret value this process knows in all it prints: the net under
    every command's output, whatever a message quotes (`model.redaction`). Rich writes each printed
    renderable in one `write`, so a value is never split between two."""

    @property
    def file(self) -> IO[str]:
        return _Redacted(super().file)  # type: ignore[return-value]

    @file.setter
    def file(self, new_file: IO[str]) -> None:
        self._file = new_file


out = RedactingConsole(highlight=False, soft_wrap=True, markup=False, emoji=False)
err = RedactingConsole(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)

EXIT_CODES: dict[type[VesselError], int] = {StoreUnavailableError: 2, ServerUnreachableError: 2}
"""Exit codes other than 1, by error class (the first class in the error's MRO found here wins)."""


def styled(label: str, style: str, data: str = "") -> Text:
    """`label` in `style`, then `data` exactly as it is (a separating space is the caller's)."""
    return Text.assemble((label, style), data)


def exit_code(exc: VesselError) -> int:
    return next((EXIT_CODES[c] for c in type(exc).__mro__ if c in EXIT_CODES), 1)


@contextmanager
def reporting() -> Iterator[None]:
    """Turn a VesselError into a readable message on stderr and its exit code (1 unless EXIT_CODES says)."""
    try:
        yield
    except MultipleErrors as exc:
        err.print(styled("error:", "bold red", f" {len(exc.errors)} problems found"))
        for problem in exc.errors:
            err.print(f"  {problem.render()}")
        raise typer.Exit(1) from None
    except VesselError as exc:
        err.print(styled("error:", "bold red", f" {exc.render()}"))
        raise typer.Exit(exit_code(exc)) from None
