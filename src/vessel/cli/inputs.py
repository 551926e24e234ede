"""What every command that reads Applications needs: files, definition directories, a registry, the
namespace a user asked for, and the notes about what was read but ignored (shown on stderr, once)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from vessel.cli.notes import show_notes, show_warnings
from vessel.cli.session import installed_definitions
from vessel.definitions.files import LoadedFiles, load_files
from vessel.definitions.registry import Registry, build_registry, directories_from_env

__all__ = ["load_inputs", "show_notes", "show_warnings"]


def load_inputs(files: Sequence[Path], definitions: Sequence[Path]) -> tuple[LoadedFiles, Registry]:
    loaded = load_files([str(f) for f in files])
    directories = [*directories_from_env(), *(str(d) for d in definitions)]
    return loaded, build_registry(directories, loaded.definitions, installed=installed_definitions())
