"""Addons as the CLI and the API see them: the documents `vessel addon list | show | status -o json`
print and `/api/v1/addons` returns (one shape for both), and enabling, upgrading and disabling through
the controller.

Enabling (and upgrading) works everything out first (`addons/enable.py`), then checks that each addon's
Application renders on the targets it would go to, and only then stores the plan — in one transaction —
and submits the Applications, exactly as `vessel up` submits a file. Who drives them differs: the CLI
waits for them, a server's loop drives them. Afterwards this process's definitions are built again, so
an application using an addon's type is accepted by the same process at once; every other process on the
store builds its own again when it next compares the addons' generation (`Controller.sync_definitions`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vessel.addons import enable as addons
from vessel.addons import upgrade as upgrading
from vessel.addons.catalog import Catalog
from vessel.addons.enable import AddonRecord, EnablePlan
from vessel.controller.controller import Controller
from vessel.controller.manifests import check_renders
from vessel.definitions.registry import build_registry, directories_from_env
from vessel.store.records import AppRecord


def listing(ctl: Controller) -> tuple[list[dict[str, Any]], Catalog]:
    """Every addon on offer or enabled: [{"name", "versions", "enabled", "registry", "description"}],
    and the catalog (whose `problems` say which registry entries could not be read)."""
    found = addons.available(ctl.store)
    enabled = {r.name: r for r in addons.enabled(ctl.store, files=False)}
    rows = []
    for name in sorted({*found.entries, *enabled}):
        versions = found.versions(name)
        record = enabled.get(name)
        newest = found.entries[name][versions[0]] if versions else None
        rows.append(
            {
                "name": name,
                "versions": versions,
                "enabled": record.version if record else None,
                "registry": record.registry if record else newest.registry if newest else "",
                "description": newest.description if newest else _description(record),
            }
        )
    return rows, found


def show(ctl: Controller, spec: str) -> dict[str, Any]:
    """An addon's metadata, its parameters (name, type, required, default, description) and README."""
    name, constraint = addons.parse_spec(spec)
    found = addons.available(ctl.store)
    package = found.package(found.choose(name, constraint, ""))
    return {
        **package.metadata.to_json(),
        "parameters": [
            {
                "name": f.name,
                "type": f.type,
                "required": f.required,
                "default": f.default,
                "description": f.description,
            }
            for f in package.parameters().fields()
        ],
        "readme": package.readme,
        "schema": package.parameters_schema,  # the JSON Schema the parameters come from (forms)
    }


def status(ctl: Controller, name: str | None = None) -> list[dict[str, Any]]:
    """The enabled addons (or the one named): version, registry, parameters, their Application and its
    phase, and the applications that use them."""
    doc: list[dict[str, Any]] = []
    for record in addons.enabled(ctl.store):
        if name is not None and record.name != name:
            continue
        own = own_application(ctl, record)
        doc.append(
            {
                "name": record.name,
                "version": record.version,
                "registry": record.registry,
                "parameters": record.parameters,
                "application": record.application,
                "phase": str(own.phase) if own else None,
                "usedBy": [
                    f"{ns}/{n}"
                    for ns, n in sorted({*addons.users(ctl.store, record), *addons.bound(ctl.store, record)})
                ],
            }
        )
    return doc


def enable(
    ctl: Controller, spec: str, sets: Mapping[str, Any], targets: Sequence[str] = ()
) -> tuple[EnablePlan, list[AppRecord]]:
    """Enable `spec` (dependencies first): checked, stored, its Applications submitted."""
    planned = addons.prepare(ctl.store, spec, sets, ctl.clock.now(), **placement(ctl, targets))
    return planned, _store_and_submit(ctl, planned)


def upgrade(
    ctl: Controller,
    spec: str,
    sets: Mapping[str, Any],
    targets: Sequence[str] = (),
    *,
    allow_downgrade: bool = False,
) -> tuple[EnablePlan, list[AppRecord]]:
    """Move the enabled addon `spec` names to another version (see `addons/upgrade.py`)."""
    planned = upgrading.prepare_upgrade(
        ctl.store,
        spec,
        sets,
        ctl.clock.now(),
        allow_downgrade=allow_downgrade,
        **placement(ctl, targets),
    )
    return planned, _store_and_submit(ctl, planned)


def disable(ctl: Controller, name: str) -> None:
    """Forget the enabled addon (after `addons.check_disable`, its own Application deleted)."""
    addons.disable(ctl.store, name)
    ctl.reload_definitions()


def disable_once_deleted(ctl: Controller, name: str, *, force: bool = False) -> str | None:
    """Disable `name` as a server does (the API and the dashboard): refused (ConflictError naming who
    uses it) unless `force`; its own Application deleted first, without waiting — None once the addon
    is disabled, else that Application, whose deletion goes on (the loop retries; ask again)."""
    record = addons.check_disable(ctl.store, name, force=force)
    own = own_application(ctl, record)
    if own is not None and not ctl.delete(own):
        return record.application
    disable(ctl, name)
    return None


def own_application(ctl: Controller, record: AddonRecord) -> AppRecord | None:
    if record.application is None:
        return None
    namespace, _, name = record.application.partition("/")
    return ctl.store.app(namespace, name)


def placement(ctl: Controller, targets: Sequence[str]) -> dict[str, Any]:
    types = {info.name: ctl.targets.render_type(info.name) for info in ctl.targets.infos()}
    return {"targets": tuple(targets), "target_types": types}


def _store_and_submit(ctl: Controller, planned: EnablePlan) -> list[AppRecord]:
    registry = build_registry(directories_from_env(), installed=planned.definitions())
    for application in planned.applications:
        check_renders(application, registry, ctl.targets)
    addons.commit(ctl.store, planned)
    ctl.reload_definitions()
    return [ctl.submit(application, registry).app for application in planned.applications]


def _description(record: AddonRecord | None) -> str:
    return str(record.metadata.get("description", "")) if record else ""
