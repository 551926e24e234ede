"""Projects in the store: the namespaces each owns, the targets each may deliver to, and its members.

A namespace belongs to one project at most (its primary key says so), so "the project of an
application" is the project owning its namespace. Deciding what a member may do is the API's
(api/permissions.py); this module only keeps the facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from vessel.errors import ConflictError, NotFoundError
from vessel.store import schema as t
from vessel.store.accounts import UserRecord
from vessel.store.store import Store

ROLES = ("owner", "developer", "viewer")


@dataclass(frozen=True)
class ProjectRecord:
    id: int
    name: str
    namespaces: tuple[str, ...]
    targets: tuple[str, ...]  # empty: every target
    members: tuple[tuple[str, str], ...]  # (user, role), by user
    created_at: float


class Projects:
    """The projects of one store."""

    def __init__(self, store: Store):
        self.store = store

    def create(self, name: str, namespaces: Sequence[str], targets: Sequence[str], now: float) -> None:
        """A new project; a name taken, or a namespace another project owns, is a ConflictError — also
        when another process took it between this one's check and its insert (PostgreSQL: the unique
        constraint refuses the second insert)."""
        try:
            self._create(name, namespaces, targets, now)
        except sa.exc.IntegrityError:
            with self.store.tx() as c:
                taken = c.execute(sa.select(t.projects.c.id).where(t.projects.c.name == name)).first()
                owned = _owners(c, namespaces)
            if taken:
                raise ConflictError(f"project {name!r} exists already") from None
            raise _owned_error(owned, namespaces) from None

    def _create(self, name: str, namespaces: Sequence[str], targets: Sequence[str], now: float) -> None:
        with self.store.write_tx() as c:
            if c.execute(sa.select(t.projects.c.id).where(t.projects.c.name == name)).first():
                raise ConflictError(f"project {name!r} exists already")
            owned = _owners(c, namespaces)
            if owned:
                raise _owned_error(owned)
            key = c.execute(t.projects.insert().values(name=name, created_at=now)).inserted_primary_key
            project_id = int(key[0]) if key else 0
            for ns in dict.fromkeys(namespaces):
                c.execute(t.project_namespaces.insert().values(namespace=ns, project_id=project_id))
            for target in dict.fromkeys(targets):
                c.execute(t.project_targets.insert().values(project_id=project_id, target=target))

    def change(self, name: str, namespaces: Sequence[str] | None, targets: Sequence[str] | None) -> None:
        """Replace the project's namespaces and/or targets (None: unchanged). A namespace another project
        owns, or one this project gives up while applications live in it, is a ConflictError (they
        would belong to no project: only admins would see them)."""
        try:
            self._change(name, namespaces, targets)
        except sa.exc.IntegrityError:  # another project claimed one of them meanwhile
            raise _owned_error({}, namespaces or ()) from None

    def _change(self, name: str, namespaces: Sequence[str] | None, targets: Sequence[str] | None) -> None:
        with self.store.write_tx() as c:
            project_id = _project_id(c, name)
            if namespaces is not None:
                _replace_namespaces(c, project_id, name, list(dict.fromkeys(namespaces)))
            if targets is not None:
                c.execute(sa.delete(t.project_targets).where(t.project_targets.c.project_id == project_id))
                for target in dict.fromkeys(targets):
                    c.execute(t.project_targets.insert().values(project_id=project_id, target=target))

    def delete(self, name: str, force: bool) -> int:
        """Delete the project with its members and claims. While applications live in its namespaces,
        a ConflictError unless `force`: then they stay, in namespaces no project owns. How many."""
        with self.store.write_tx() as c:
            project_id = _project_id(c, name)
            owned = [r.namespace for r in c.execute(_namespaces_of(project_id))]
            living = _applications_in(c, owned)
            if living and not force:
                raise ConflictError(
                    f"project {name!r} owns {living} application(s) in {', '.join(sorted(owned))}",
                    hint="delete them first, or force: they stay, and only admins see them",
                )
            for table in (t.members, t.project_targets, t.project_namespaces):
                c.execute(sa.delete(table).where(table.c.project_id == project_id))
            c.execute(sa.delete(t.projects).where(t.projects.c.id == project_id))
        return living

    def get(self, name: str) -> ProjectRecord:
        found = self._load(t.projects.c.name == name)
        if not found:
            raise NotFoundError(f"project {name!r} not found", hint="`vessel project list` shows them")
        return found[0]

    def all(self) -> list[ProjectRecord]:
        return self._load(sa.true())

    def _load(self, where: Any) -> list[ProjectRecord]:
        """The projects `where` selects, each with its namespaces, targets and members (four queries)."""
        ids = sa.select(t.projects.c.id).where(where)
        with self.store.tx() as c:
            rows = c.execute(sa.select(t.projects).where(where).order_by(t.projects.c.name)).all()
            spaces = c.execute(
                sa.select(t.project_namespaces).where(t.project_namespaces.c.project_id.in_(ids))
            )
            targets = c.execute(sa.select(t.project_targets).where(t.project_targets.c.project_id.in_(ids)))
            people = c.execute(
                sa.select(t.members.c.project_id, t.members.c.role, t.users.c.name)
                .join(t.users, t.users.c.id == t.members.c.user_id)
                .where(t.members.c.project_id.in_(ids))
            )
            found = (spaces.all(), targets.all(), people.all())
        return [_project(r, *found) for r in rows]

    def set_member(self, project: str, user: UserRecord, role: str) -> None:
        """Make `user` a member of `project` with `role` (replacing the role they had there). Two at once
        on PostgreSQL: the second to insert meets the first's row (the unique key) and replaces it."""
        try:
            self._set_member(project, user, role)
        except sa.exc.IntegrityError:
            self._set_member(project, user, role)  # the other one committed: now it is seen and replaced

    def _set_member(self, project: str, user: UserRecord, role: str) -> None:
        with self.store.write_tx() as c:
            project_id = _project_id(c, project)
            where = (t.members.c.project_id == project_id) & (t.members.c.user_id == user.id)
            c.execute(sa.delete(t.members).where(where))
            c.execute(t.members.insert().values(project_id=project_id, user_id=user.id, role=role))

    def remove_member(self, project: str, user: UserRecord) -> None:
        """Remove a member; one who is not is a NotFoundError."""
        with self.store.write_tx() as c:
            project_id = _project_id(c, project)
            where = (t.members.c.project_id == project_id) & (t.members.c.user_id == user.id)
            if c.execute(sa.delete(t.members).where(where)).rowcount == 0:
                raise NotFoundError(f"{user.name} is not a member of project {project!r}")

    def roles_of(self, user_id: int) -> dict[str, str]:
        """The user's role per project name."""
        query = (
            sa.select(t.projects.c.name, t.members.c.role)
            .join(t.members, t.members.c.project_id == t.projects.c.id)
            .where(t.members.c.user_id == user_id)
        )
        with self.store.tx() as c:
            return {r.name: r.role for r in c.execute(query)}

    def owner_of(self, namespace: str) -> ProjectRecord | None:
        """The project owning `namespace`, or None."""
        with self.store.tx() as c:
            owned = _owners(c, [namespace])
        return self.get(owned[namespace]) if owned else None

    def namespaces(self) -> dict[str, str]:
        """Every owned namespace and its project's name."""
        query = sa.select(t.project_namespaces.c.namespace, t.projects.c.name).join(
            t.projects, t.projects.c.id == t.project_namespaces.c.project_id
        )
        with self.store.tx() as c:
            return {r.namespace: r.name for r in c.execute(query)}


def _owners(c: sa.Connection, namespaces: Sequence[str]) -> dict[str, str]:
    query = (
        sa.select(t.project_namespaces.c.namespace, t.projects.c.name)
        .join(t.projects, t.projects.c.id == t.project_namespaces.c.project_id)
        .where(t.project_namespaces.c.namespace.in_(list(namespaces)))
    )
    return {r.namespace: r.name for r in c.execute(query)}


def _owned_error(owned: dict[str, str], meanwhile: Sequence[str] = ()) -> ConflictError:
    """Namespaces another project owns (`owned`: namespace → project), or may have just claimed."""
    taken = ", ".join(f"{ns} (project {p})" for ns, p in sorted(owned.items()))
    taken = taken or ", ".join(f"{ns} (claimed by another project just now)" for ns in meanwhile)
    return ConflictError(f"namespace already owned: {taken}", hint="a namespace has one project")


def _namespaces_of(project_id: int) -> Any:
    return sa.select(t.project_namespaces.c.namespace).where(t.project_namespaces.c.project_id == project_id)


def _applications_in(c: sa.Connection, namespaces: Sequence[str]) -> int:
    query = sa.select(sa.func.count()).where(t.applications.c.namespace.in_(list(namespaces)))
    return int(c.execute(query).scalar_one()) if namespaces else 0


def _replace_namespaces(c: sa.Connection, project_id: int, name: str, namespaces: list[str]) -> None:
    owned = {ns: p for ns, p in _owners(c, namespaces).items() if p != name}
    if owned:
        raise _owned_error(owned)
    before = [r.namespace for r in c.execute(_namespaces_of(project_id))]
    given_up = [ns for ns in before if ns not in namespaces]
    if living := _applications_in(c, given_up):
        raise ConflictError(
            f"{living} application(s) live in {', '.join(sorted(given_up))}: project {name!r} keeps them",
            hint="delete those applications first",
        )
    c.execute(sa.delete(t.project_namespaces).where(t.project_namespaces.c.project_id == project_id))
    for ns in namespaces:
        c.execute(t.project_namespaces.insert().values(namespace=ns, project_id=project_id))


def _project_id(c: sa.Connection, name: str) -> int:
    row = c.execute(sa.select(t.projects.c.id).where(t.projects.c.name == name)).first()
    if row is None:
        raise NotFoundError(f"project {name!r} not found", hint="`vessel project list` shows them")
    return int(row.id)


def _project(r: Any, spaces: Sequence[Any], targets: Sequence[Any], people: Sequence[Any]) -> ProjectRecord:
    return ProjectRecord(
        r.id,
        r.name,
        tuple(sorted(s.namespace for s in spaces if s.project_id == r.id)),
        tuple(sorted(x.target for x in targets if x.project_id == r.id)),
        tuple(sorted((m.name, m.role) for m in people if m.project_id == r.id)),
        r.created_at,
    )
