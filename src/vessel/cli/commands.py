"""The `vessel` command group, whose commands are imported only when they are used.

Every command module pulls in what its command needs — the store (SQLAlchemy), the renderer (Jinja2,
JSON Schema), a target's client — and a command line runs one command. So the group knows its commands
by name and by where they live ("module:attribute"), and imports a module the first time its command is
asked for: `vessel version` imports the version module and nothing of the store, `vessel ls` the store and
not the renderer. `vessel --help` and shell completion of command names ask for every command, and so
import them all; that is their cost, not every command's.

An attribute is a command function (Typer reads its signature) or a `typer.Typer` of subcommands.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup
from typer.main import get_command_from_info, get_group
from typer.models import CommandInfo


class LazyCommands(MutableMapping[str, Any]):
    """Click commands by name, each built from its "module:attribute" on first lookup."""

    def __init__(self, where: Mapping[str, str], *, markup: Any) -> None:
        self._where = dict(where)
        self._built: dict[str, Any] = {}
        self._markup = markup

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in self._where:
                raise KeyError(name)
            self._built[name] = self._build(name, self._where[name])
        return self._built[name]

    def _build(self, name: str, where: str) -> Any:
        module, _, attribute = where.partition(":")
        found = getattr(importlib.import_module(module), attribute)
        if isinstance(found, typer.Typer):
            group = get_group(found)
            group.name = name
            return group
        info = CommandInfo(name=name, callback=found)
        return get_command_from_info(info, pretty_exceptions_short=True, rich_markup_mode=self._markup)

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._where.pop(name, None)
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter({**self._where, **self._built})

    def __len__(self) -> int:
        return len({**self._where, **self._built})

    def __contains__(self, name: object) -> bool:
        return name in self._where or name in self._built


class LazyGroup(TyperGroup):
    """A Typer group whose commands are `COMMANDS`, imported on first use."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        lazy = LazyCommands(COMMANDS, markup=self.rich_markup_mode)
        lazy.update(self.commands)  # any registered the eager way
        self.commands = lazy


COMMANDS = {
    "dry-run": "vessel.cli.dry_run:dry_run",
    "up": "vessel.cli.apps:up",
    "status": "vessel.cli.status:status",
    "diff": "vessel.cli.diff:diff",
    "ls": "vessel.cli.ls:ls",
    "delete": "vessel.cli.delete:delete",
    "events": "vessel.cli.events:events",
    "logs": "vessel.cli.logs:logs",
    "run": "vessel.cli.run:run",
    "version": "vessel.cli.version:version",
    "vet": "vessel.cli.vet:vet",
    "revision": "vessel.cli.revisions:app",
    "workflow": "vessel.cli.workflow_ops:app",
    "target": "vessel.cli.targets:app",
    "def": "vessel.cli.defs:app",
    "addon": "vessel.cli.addons:app",
    "stats": "vessel.cli.stats:stats",
    "audit": "vessel.cli.accounts:audit",
    "user": "vessel.cli.accounts:users",
    "token": "vessel.cli.accounts:tokens",
    "project": "vessel.cli.projects:projects",
    "member": "vessel.cli.projects:members",
    "login": "vessel.cli.login:login",
    "logout": "vessel.cli.login:logout",
}
"""Every command of `vessel`, in the order `vessel --help` lists them."""
