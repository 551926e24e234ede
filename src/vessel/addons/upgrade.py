"""Upgrading an enabled addon (`vessel addon upgrade NAME[@VERSION]`): to the newest version the
constraint allows, through the same plan as enabling (`enable.plan_enabling`), so dependencies it now
needs are enabled first and everything is checked before anything is stored.

Its parameters are kept as they were resolved (`--set` on top, checked against the new version's
schema), and so are the targets it was placed on (`--target` replaces them). Going to an older version
is refused unless asked for, and so is a version that drops a definition applications use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vessel.addons.application import placed_on
from vessel.addons.catalog import catalog
from vessel.addons.enable import EnablePlan, Placement, enabled_addon, parse_spec, plan_enabling
from vessel.addons.installed import definitions_of_records
from vessel.addons.semver import parse_constraint, parse_version
from vessel.errors import ConflictError
from vessel.store.addons import AddonRecord, AddonStore
from vessel.store.store import Store


def prepare_upgrade(
    store: Store,
    spec: str,
    sets: Mapping[str, Any],
    now: float,
    *,
    allow_downgrade: bool = False,
    targets: Sequence[str] = (),
    target_types: Mapping[str, str] | None = None,
) -> EnablePlan:
    """Upgrading the enabled addon `spec` names to the newest version its constraint allows (any: the
    newest on offer), keeping its parameters (`sets` on top) and its targets (unless `targets` are
    given); dependencies it now needs are enabled first, enabled ones must already satisfy it."""
    name, constraint = parse_spec(spec)
    current = enabled_addon(store, name)
    chosen = catalog(AddonStore(store).registries()).choose(name, constraint, "")
    _check_direction(current.version, chosen.version, allow_downgrade)
    kept = targets or _placed(store, current)
    merged = _merge(current.parameters, sets)
    planned = plan_enabling(
        store,
        name,
        parse_constraint(f"={chosen.version}") or constraint,
        merged,
        now,
        Placement(kept, target_types or {}),
    )
    _check_still_defined(store, current, planned.records[-1])
    return planned


def _check_still_defined(store: Store, current: AddonRecord, new: AddonRecord) -> None:
    """A version that drops a definition applications use would break their next revision: refused."""
    kept = {(d.kind, d.name) for d in definitions_of_records([new])}
    dropped = [d for d in definitions_of_records([current]) if (d.kind, d.name) not in kept]
    for definition in dropped:
        used_by = [
            u for u in AddonStore(store).users([definition.digest]) if "/".join(u) != current.application
        ]
        if used_by:
            apps = ", ".join(f"{ns}/{app}" for ns, app in used_by)
            raise ConflictError(
                f"addon {new.name}@{new.version} no longer defines {definition.kind.value} "
                f"{definition.name!r}, which applications {apps} use",
                hint="change those applications first, or choose a version that still defines it",
            )


def _check_direction(current: str, chosen: str, allow_downgrade: bool) -> None:
    old, new = parse_version(current), parse_version(chosen)
    if old is None or new is None or new.key() >= old.key() or allow_downgrade:
        return
    raise ConflictError(
        f"addon upgrade would go from {current} down to {chosen}: refused",
        hint="ask for a version at least as new, or pass --allow-downgrade",
    )


def _placed(store: Store, record: AddonRecord) -> list[str]:
    if record.application is None:
        return []
    namespace, _, app_name = record.application.partition("/")
    app = store.app(namespace, app_name)
    return placed_on(store.revision(app.id, app.revision).spec) if app is not None else []


def _merge(kept: Mapping[str, Any], sets: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(kept)
    for key, value in sets.items():
        old = merged.get(key)
        merged[key] = _merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged
