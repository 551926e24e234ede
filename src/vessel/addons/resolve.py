"""Which addons enabling one brings, and in what order: dependencies first.

Resolution is a pure function of the catalog and what is enabled, worked out whole before anything is
stored, so a cycle, a dependency no registry has, or two versions demanded of one addon is an error
that leaves everything as it was. An addon already enabled is kept as it is when its version satisfies
what is asked of it, and is a conflict when it does not (upgrading it is a separate, explicit act).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from vessel.addons.catalog import Catalog, Entry
from vessel.addons.semver import Constraint, parse_version
from vessel.errors import ConflictError


@dataclass(frozen=True)
class Enabled:
    """An addon as it is enabled now: its version and the constraints on its dependencies."""

    version: str
    needs: Mapping[str, Constraint] = field(default_factory=dict)


def plan(
    name: str, constraint: Constraint, catalog: Catalog, enabled: Mapping[str, Enabled], vessel: str
) -> list[Entry]:
    """The addons to enable for `name` (the last one), dependencies before what needs them."""
    resolver = _Resolver(catalog, enabled, vessel)
    resolver.visit(name, constraint, "", (), root=True)  # "": asked for by name
    return resolver.order


class _Resolver:
    def __init__(self, catalog: Catalog, enabled: Mapping[str, Enabled], vessel: str):
        self.catalog, self.enabled, self.vessel = catalog, enabled, vessel
        self.chosen: dict[str, tuple[Entry, str]] = {}  # name -> (entry, who asked for it first)
        self.order: list[Entry] = []

    def visit(
        self, name: str, constraint: Constraint, wanted_by: str, stack: tuple[str, ...], *, root: bool = False
    ) -> None:
        if name in stack:
            cycle = " -> ".join((*stack[stack.index(name) :], name))
            raise ConflictError(
                f"addon dependencies form a cycle: {cycle}", hint="no addon can be enabled first"
            )
        if not root and name in self.enabled:
            self._check_enabled(name, constraint, wanted_by)
            return
        if name in self.chosen:
            self._check_chosen(name, constraint, wanted_by)
            return
        entry = self.catalog.choose(name, constraint, wanted_by)
        self._check_vessel(entry)
        if root:
            self._check_dependents(entry)
        self.chosen[name] = (entry, wanted_by)
        label = f"addon {name}@{entry.metadata.version}"
        for dependency in entry.metadata.dependencies:
            self.visit(dependency.name, dependency.constraint, label, (*stack, name))
        self.order.append(entry)

    def _check_enabled(self, name: str, constraint: Constraint, wanted_by: str) -> None:
        version = self.enabled[name].version
        parsed = parse_version(version)
        if parsed is None or not constraint.allows(parsed):
            raise ConflictError(
                f"{wanted_by} needs addon {name} {constraint}, but {name}@{version} is enabled",
                hint=f"upgrade or disable {name} first, or choose a version of the addon that accepts it",
            )

    def _check_chosen(self, name: str, constraint: Constraint, wanted_by: str) -> None:
        entry, first = self.chosen[name]
        if not constraint.allows(entry.metadata.version):
            raise ConflictError(
                f"version conflict on addon {name}: {first} chose {name}@{entry.metadata.version}, "
                f"but {wanted_by} needs {name} {constraint}",
            )

    def _check_vessel(self, entry: Entry) -> None:
        supported = entry.metadata.vessel
        version = parse_version(self.vessel)
        if supported is not None and version is not None and not supported.allows(version):
            raise ConflictError(
                f"addon {entry.metadata.name}@{entry.metadata.version} supports Vessel {supported}, "
                f"not this Vessel ({self.vessel})",
                hint="choose another version of the addon: NAME@VERSION",
            )

    def _check_dependents(self, entry: Entry) -> None:
        """Replacing an enabled addon's version must keep every enabled addon that needs it satisfied."""
        name, version = entry.metadata.name, entry.metadata.version
        for other, enabled in sorted(self.enabled.items()):
            constraint = enabled.needs.get(name)
            if constraint is not None and not constraint.allows(version):
                raise ConflictError(
                    f"addon {other}@{enabled.version} needs {name} {constraint}: {name}@{version} "
                    "would break it",
                    hint=f"choose a version of {name} that {other} accepts",
                )
