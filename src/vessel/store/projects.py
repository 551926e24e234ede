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
        """A new project; a name taken, or a namespace another project owns, is a ConflictError."""
        with self.store.write_tx() as c:
            if c.execute(sa.select(t.projects.c.id).where(t.projects.c.name == name)).first():
                raise ConflictError(f"project {name!r} exists already")
            owned = _owners(c, namespaces)
            if owned:
                taken = ", ".join(f"{ns} (project {p})" for ns, p in sorted(owned.items()))
                raise ConflictError(f"namespace already owned: {taken}", hint="a namespace has one project")
            key = c.execute(t.projects.insert().values(name=name, created_at=now)).inserted_primary_key
            project_id = int(key[0]) if key else 0
            for ns in dict.fromkeys(namespaces):
                c.execute(t.project_namespaces.insert().values(namespace=ns, project_id=project_id))
            for target in dict.fromkeys(targets):
                c.execute(t.project_targets.insert().values(project_id=project_id, target=target))

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
        """Make `user` a member of `project` with `role` (replacing the role they had there)."""
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
