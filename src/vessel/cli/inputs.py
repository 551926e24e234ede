"""What every command that reads Applications needs: files, definition directories, a registry, the
namespace a user asked for, and the notes about what was read but ignored (shown on stderr, once)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from vessel.cli.report import err, styled
from vessel.cli.session import installed_definitions
from vessel.definitions.files import LoadedFiles, load_files
from vessel.definitions.registry import Registry, build_registry, directories_from_env


def load_inputs(files: Sequence[Path], definitions: Sequence[Path]) -> tuple[LoadedFiles, Registry]:
    loaded = load_files([str(f) for f in files])
    directories = [*directories_from_env(), *(str(d) for d in definitions)]
    return loaded, build_registry(directories, loaded.definitions, installed=installed_definitions())


def show_notes(notes: Sequence[str]) -> None:
    for note in notes:
        err.print(styled("note:", "cyan", f" {note}"))


def show_warnings(warnings: Sequence[str]) -> None:
    for warning in warnings:
        err.print(styled("warning:", "yellow", f" {warning}"))
