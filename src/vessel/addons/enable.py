"""Enabling and disabling addons: everything is worked out and checked first, then stored at once.

`prepare` resolves the dependencies (`addons/resolve.py`), reads every package, checks the parameters
against each `parameters.schema.json` (defaults filled in), checks that no two enabled addons define
the same definition, and renders each addon's Application — all before anything changes. `commit`
then stores the whole plan in one transaction. The caller (`controller/addons.py`, for the CLI and
the API) delivers the rendered Applications through the controller, the same way `vessel up` does.

Enabling an addon that is enabled already is refused when it would choose another version (that is an
upgrade: `addons/upgrade.py`, through the same `plan_enabling`); at the same version it is enabled
again with the parameters given. `--target` places the addon's Application on named targets, each
checked to exist and to be of a type the addon supports.

`disable` is refused while an application's current revision uses one of the addon's definitions, or
while another enabled addon depends on it (unless forced); the users are named.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vessel import __version__
from vessel.addons.application import application_key, render_application
from vessel.addons.catalog import Catalog, catalog
from vessel.addons.installed import definitions_of_records
from vessel.addons.package import AddonPackage
from vessel.addons.resolve import Enabled, plan
from vessel.addons.semver import Constraint, parse_constraint
from vessel.definitions.definition import Definition
from vessel.errors import ConflictError, Location, NotFoundError, ValidationError
from vessel.model.application import Application
from vessel.store.addons import AddonRecord as AddonRecord
from vessel.store.addons import AddonStore
from vessel.store.store import Store

SHARED_SERVICES = ("postgresql", "redis")  # built-in addons that applications bind to, not type with
BINDING_TRAIT = "uses"  # the `bindings` addon's trait that binds them


@dataclass(frozen=True)
class EnablePlan:
    records: tuple[AddonRecord, ...]  # dependencies first; the addon asked for last
    applications: tuple[Application, ...]  # to deliver, in the same order
    installed: tuple[AddonRecord, ...]  # every enabled addon once the plan is stored

    def definitions(self) -> list[Definition]:
        return definitions_of_records(self.installed)


def parse_spec(spec: str) -> tuple[str, Constraint]:
    """`NAME` or `NAME@VERSION` (a version or a constraint)."""
    name, _, version = spec.partition("@")
    constraint = parse_constraint(version or "*")
    if not name or constraint is None:
        raise ValidationError(f"{spec!r} is not NAME or NAME@VERSION", hint="e.g. redis or redis@1.2.0")
    return name, constraint


def prepare(
    store: Store,
    spec: str,
    sets: Mapping[str, Any],
    now: float,
    *,
    targets: Sequence[str] = (),
    target_types: Mapping[str, str] | None = None,
) -> EnablePlan:
    """Everything enabling `spec` does, worked out and checked. `targets` place the addon named (its
    dependencies go where their Applications say); `target_types` are the registered targets' render
    types by name, which `targets` are checked against."""
    name, constraint = parse_spec(spec)
    current = next((r for r in AddonStore(store).enabled(files=False) if r.name == name), None)
    planned = plan_enabling(store, name, constraint, sets, now, Placement(targets, target_types or {}))
    chosen = planned.records[-1].version
    if current is not None and chosen != current.version:  # moving it is `upgrade`: parameters kept
        raise ConflictError(
            f"addon {name} is enabled at {current.version}: enabling {name}@{chosen} would replace it",
            hint=f"vessel addon upgrade {name}@{chosen} moves it, keeping its parameters and targets",
        )
    return planned


@dataclass(frozen=True)
class Placement:
    targets: Sequence[str]
    types: Mapping[str, str]  # registered target -> render type


def plan_enabling(
    store: Store, name: str, constraint: Constraint, sets: Mapping[str, Any], now: float, placement: Placement
) -> EnablePlan:
    addons = AddonStore(store)
    found = catalog(addons.registries())
    enabled = {r.name: r for r in addons.enabled()}
    entries = plan(name, constraint, found, _constraints(enabled.values()), __version__)
    packages = [found.package(e) for e in entries]
    records, apps = [], []
    for i, package in enumerate(packages):
        registry = entries[i].registry
        root = package.name == name
        parameters = _parameters(package, sets if root else {})
        targets = _check_targets(package, placement) if root else ()
        app = render_application(package, parameters, targets)
        apps.extend([app] if app else [])
        records.append(_record(package, registry, parameters, app, now + i * 1e-6))
    installed = {**enabled, **{r.name: r for r in records}}
    _check_unique_definitions(installed.values())
    return EnablePlan(tuple(records), tuple(apps), tuple(installed.values()))


def _check_targets(package: AddonPackage, placement: Placement) -> tuple[str, ...]:
    supported = package.metadata.targets
    for i, target in enumerate(placement.targets):
        where = Location("--target", path=f"[{i}]")
        if target not in placement.types:
            known = ", ".join(sorted(placement.types)) or "none"
            raise NotFoundError(
                f"--target {target!r} is not a registered target", where, hint=f"registered: {known}"
            )
        kind = placement.types[target]
        if supported and kind not in supported:
            raise ValidationError(
                f"addon {package.label} supports {', '.join(supported)} targets; "
                f"{target!r} is a {kind} target",
                where,
            )
    if placement.targets and package.application is None:
        raise ValidationError(f"addon {package.label} delivers no Application: --target has nothing to place")
    return tuple(dict.fromkeys(placement.targets))


def commit(store: Store, planned: EnablePlan) -> None:
    AddonStore(store).enable(planned.records)


def users(store: Store, record: AddonRecord) -> list[tuple[str, str]]:
    """The applications (namespace, name) whose current revision uses the addon's definitions, except
    the addon's own Application."""
    digests = [d.digest for d in definitions_of_records([record])]
    return [u for u in AddonStore(store).users(digests) if "/".join(u) != record.application]


def bound(store: Store, record: AddonRecord) -> list[tuple[str, str]]:
    """The applications (namespace, name) whose current revision binds to the shared service `record` is
    (a `uses` trait naming it): they use the `bindings` addon's definition, not the service's own."""
    if record.name not in SHARED_SERVICES:
        return []
    uses = [d.digest for d in definitions_of_records(enabled(store)) if d.name == BINDING_TRAIT]
    found = []
    for namespace, name in AddonStore(store).users(uses):
        app = store.app(namespace, name)
        if app is not None and _binds(store.revision(app.id, app.revision).spec, record.name):
            found.append((namespace, name))
    return found


def _binds(application: dict[str, Any], addon: str) -> bool:
    spec = application.get("spec", application)
    return any(
        trait.get("type") == BINDING_TRAIT and (trait.get("properties") or {}).get("addon") == addon
        for component in spec.get("components") or ()
        for trait in component.get("traits") or ()
    )


def dependents(store: Store, name: str) -> list[str]:
    return [
        f"{r.name}@{r.version}"
        for r in AddonStore(store).enabled(files=False)
        if any(d["name"] == name for d in r.metadata.get("dependencies", ()))
    ]


def enabled(store: Store, *, files: bool = True) -> list[AddonRecord]:
    """The enabled addons, dependencies before what needs them (`files`: with their definition files)."""
    return AddonStore(store).enabled(files=files)


def disable(store: Store, name: str) -> None:
    """Forget an enabled addon and its definitions (after `check_disable`, and its Application deleted)."""
    AddonStore(store).disable(name)


def enabled_addon(store: Store, name: str) -> AddonRecord:
    for record in AddonStore(store).enabled():
        if record.name == name:
            return record
    raise NotFoundError(f"addon {name!r} is not enabled", hint="vessel addon list shows the enabled ones")


def check_disable(store: Store, name: str, *, force: bool) -> AddonRecord:
    """The enabled addon `name`, if it may be disabled now; ConflictError naming its users if not."""
    record = enabled_addon(store, name)
    if force:
        return record
    needed_by = dependents(store, name)
    if needed_by:
        raise ConflictError(
            f"addon {name} is needed by {', '.join(needed_by)}", hint="disable those first, or use --force"
        )
    used_by = sorted({*users(store, record), *bound(store, record)})
    if used_by:
        apps = ", ".join(f"{ns}/{app}" for ns, app in used_by)
        raise ConflictError(
            f"addon {name} is in use: applications {apps} use its definitions or are bound to it",
            hint="delete those applications or change their types first, or use --force",
        )
    return record


def available(store: Store) -> Catalog:
    return catalog(AddonStore(store).registries())


def _constraints(records: Iterable[AddonRecord]) -> dict[str, Enabled]:
    out = {}
    for r in records:
        needs = {
            d["name"]: parse_constraint(d.get("version", "*")) for d in r.metadata.get("dependencies", ())
        }
        out[r.name] = Enabled(r.version, {k: v for k, v in needs.items() if v is not None})
    return out


def _parameters(package: AddonPackage, sets: Mapping[str, Any]) -> dict[str, Any]:
    def locate(path: tuple[str | int, ...]) -> Location:  # the parameter, as --set names it
        return Location(f"addon {package.label} parameters", path=".".join(str(p) for p in path) or "(top)")

    return package.parameters().resolve(sets, locate)


def _record(
    package: AddonPackage, registry: str, parameters: dict[str, Any], app: Application | None, now: float
) -> AddonRecord:
    return AddonRecord(
        name=package.name,
        version=package.version,
        registry=registry,
        metadata=package.metadata.to_json(),
        parameters=parameters,
        readme=package.readme,
        application=application_key(app) if app else None,
        enabled_at=now,
        files=tuple((f.path, f.text) for f in package.definition_files),
    )


def _check_unique_definitions(records: Iterable[AddonRecord]) -> None:
    seen: dict[tuple[str, str, str | None], str] = {}
    for record in records:
        for d in definitions_of_records([record]):
            key = (d.kind.value, d.name, d.version)
            if key in seen and seen[key] != record.name:
                raise ConflictError(
                    f"addons {seen[key]} and {record.name} both define {d.kind.value} {d.name!r}",
                    Location(d.origin),
                    hint=f"disable {seen[key]} first, or use only one of them",
                )
            seen[key] = record.name
