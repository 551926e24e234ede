"""Notes (what was read but ignored) and warnings about the input, on stderr: one line each."""

from __future__ import annotations

from collections.abc import Sequence

from vessel.cli.report import err, styled


def show_notes(notes: Sequence[str]) -> None:
    for note in notes:
        err.print(styled("note:", "cyan", f" {note}"))


def show_warnings(warnings: Sequence[str]) -> None:
    for warning in warnings:
        err.print(styled("warning:", "yellow", f" {warning}"))
