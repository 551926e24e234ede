"""`--wait/--no-wait` and `--timeout` of the commands that deliver, and reading the duration: declared
once, for embedded and remote mode alike (and without the engine: a remote command never loads it)."""

from __future__ import annotations

from typing import Annotated

import typer

from vessel.errors import ValidationError
from vessel.model.duration import parse_duration

DEFAULT_TIMEOUT = "5m"
Wait = Annotated[bool, typer.Option("--wait/--no-wait", help="Drive the workflow until it settles.")]
Timeout = Annotated[
    str, typer.Option("--timeout", help="Stop waiting after this long (a duration: 30s, 5m, 1h).")
]


def timeout_seconds(timeout: str) -> float:
    try:
        seconds = parse_duration(timeout)
    except ValueError as exc:
        raise ValidationError(f"--timeout: {exc}") from None
    if seconds <= 0:
        raise ValidationError(f"--timeout: {timeout!r} is not a positive duration", hint="e.g. 30s, 5m")
    return seconds
