"""Projects: creating them, their members, and the targets an application would deliver to.

`vessel project create|list|show|set|delete`, `vessel member add|remove` and the API's
`/api/v1/projects…` call these same functions, and each change is written to the audit log (the API's
middleware records API calls; these record the CLI's, with the actor `local:<login>`).

    project list   [{"name", "namespaces", "targets", "members": [{"user", "role"}]}]   by name
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from vessel.controller import audit
from vessel.controller.placement import planned_targets
from vessel.definitions.registry import Registry
from vessel.errors import ValidationError
from vessel.model.application import Application
from vessel.model.kube_names import dns_label, dns_subdomain
from vessel.store.accounts import Accounts
from vessel.store.projects import ROLES, ProjectRecord, Projects
from vessel.store.store import Store

if TYPE_CHECKING:
    from vessel.controller.controller import Controller


def create_project(
    store: Store,
    name: str,
    namespaces: Sequence[str],
    targets: Sequence[str],
    now: float,
    *,
    actor: str | None,
) -> None:
    """A new project owning `namespaces` and allowed `targets` (none: every target). `actor` None: the
    caller records the change (the API's middleware)."""
    _check("project name", name, dns_label)
    for ns in namespaces:
        _check("--namespace", ns, dns_label)
    for target in targets:
        _check("--target", target, dns_subdomain)
    Projects(store).create(name, namespaces, targets, now)
    _record(store, now, actor, "project create", name)


def change_project(
    store: Store,
    name: str,
    namespaces: Sequence[str] | None,
    targets: Sequence[str] | None,
    now: float,
    *,
    actor: str | None,
) -> None:
    """Replace the project's namespaces and/or targets (None: unchanged; no targets: every target)."""
    for ns in namespaces or ():
        _check("namespace", ns, dns_label)
    for target in targets or ():
        _check("target", target, dns_subdomain)
    Projects(store).change(name, namespaces, targets)
    _record(store, now, actor, "project set", name)


def delete_project(store: Store, name: str, force: bool, now: float, *, actor: str | None) -> int:
    """Delete the project (its members and claims); refused while applications live in its namespaces,
    unless `force`: they stay, delivered and driven, in namespaces no project owns (only admins see them
    until a project claims those namespaces). How many applications it left."""
    left = Projects(store).delete(name, force)
    _record(store, now, actor, "project delete" + (" --force" if force else ""), name)
    return left


def add_member(store: Store, project: str, user: str, role: str, now: float, *, actor: str | None) -> None:
    """Make `user` a member of `project` with `role` (a member already gets the new role)."""
    if role not in ROLES:
        raise ValidationError(f"role: {role!r} is not a role", hint=f"one of {', '.join(ROLES)}")
    Projects(store).set_member(project, Accounts(store).user(user), role)
    _record(store, now, actor, f"member add {role}", f"{project}/{user}")


def remove_member(store: Store, project: str, user: str, now: float, *, actor: str | None) -> None:
    Projects(store).remove_member(project, Accounts(store).user(user))
    _record(store, now, actor, "member remove", f"{project}/{user}")


def project_document(p: ProjectRecord) -> dict[str, Any]:
    return {
        "name": p.name,
        "namespaces": list(p.namespaces),
        "targets": list(p.targets),
        "members": [{"user": u, "role": r} for u, r in p.members],
    }


def project_shown(store: Store, name: str) -> dict[str, Any]:
    return project_document(Projects(store).get(name))


def project_list(store: Store) -> list[dict[str, Any]]:
    return [project_document(p) for p in Projects(store).all()]


def targets_used(ctl: Controller, app: Application, registry: Registry) -> tuple[str, ...]:
    """The targets the application's workflow would deliver to if applied now (before it is stored)."""
    return planned_targets(ctl, app, registry, ctl.targets.default())


def _check(field: str, value: str, rule: Any) -> None:
    if problem := rule(value):
        raise ValidationError(f"{field} {value!r}: {problem}")


def _record(store: Store, now: float, actor: str | None, action: str, obj: str) -> None:
    if actor is not None:
        audit.record(store, now, actor, action, obj, "ok")
