"""`GET /applications`: the applications the caller may see, searched, filtered, sorted and paged by the
server (two queries whatever the filters: the applications, and where each one delivered).

Query: `q` (a part of the name or namespace), `project`, `namespace`, `phase`, `health` (healthy or
unhealthy, as `vessel ls --health`), `target`, `sort` (name, namespace, phase, revision, updated),
`order` (asc, desc), `page` (from 1), `size` (rows a page, at most MAX_SIZE).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from vessel.api.auth import state_of
from vessel.api.permissions import visible_namespaces
from vessel.controller.selection import HEALTH, check_health, healthy_as_asked
from vessel.dashboard.session import page_user
from vessel.dashboard.templates import my_projects, page
from vessel.errors import ValidationError
from vessel.store.accounts import UserRecord
from vessel.store.app_targets import targets_by_app
from vessel.store.projects import Projects
from vessel.store.records import AppRecord, Phase

router = APIRouter(include_in_schema=False)
SORTS = {
    "name": lambda a: (a.name, a.namespace),
    "namespace": lambda a: (a.namespace, a.name),
    "phase": lambda a: (a.phase, a.namespace, a.name),
    "revision": lambda a: (a.revision, a.namespace, a.name),
    "updated": lambda a: (a.updated_at, a.namespace, a.name),
}
PHASES = (
    Phase.RUNNING_WORKFLOW,
    Phase.SUSPENDING,
    Phase.RUNNING,
    Phase.UNHEALTHY,
    Phase.FAILED,
    Phase.TERMINATED,
    Phase.DELETING,
)
DEFAULT_SIZE = 50
MAX_SIZE = 500


@dataclass(frozen=True)
class Wanted:
    q: str = ""
    project: str = ""
    namespace: str = ""
    phase: str = ""
    health: str = ""
    target: str = ""
    sort: str = "namespace"
    order: str = "asc"
    page: int = 1
    size: int = DEFAULT_SIZE

    def check(self) -> None:
        check_health(self.health or None)
        if self.sort not in SORTS:
            raise ValidationError(f"sort: {self.sort!r} is not one of {', '.join(SORTS)}")
        if self.order not in ("asc", "desc"):
            raise ValidationError(f"order: {self.order!r} is not asc or desc")

    def link(self, **changes: Any) -> str:
        """This query with `changes`, as a link (default values left out)."""
        changed = replace(self, **changes)
        fields = {k: v for k, v in vars(changed).items() if v != getattr(Wanted, k)}
        return "/applications" + (f"?{urlencode(fields)}" if fields else "")


@dataclass(frozen=True)
class Row:
    app: AppRecord
    targets: tuple[str, ...]

    @property
    def health(self) -> str:
        return next((h for h, phases in HEALTH.items() if self.app.phase in phases), "")


@dataclass(frozen=True)
class Listed:
    rows: list[Row]
    total: int
    pages: int


def select(
    apps: Iterable[AppRecord],
    wanted: Wanted,
    visible: frozenset[str] | None,
    project_namespaces: frozenset[str] | None,
    targets: Mapping[int, frozenset[str]],
) -> Listed:
    """One page of `apps` as `wanted` says, of those in `visible` namespaces (None: all)."""
    q = wanted.q.lower()
    found = [
        a
        for a in apps
        if (visible is None or a.namespace in visible)
        and (project_namespaces is None or a.namespace in project_namespaces)
        and (not wanted.namespace or a.namespace == wanted.namespace)
        and (not wanted.phase or a.phase == wanted.phase)
        and healthy_as_asked(a.phase, wanted.health or None)
        and (not wanted.target or wanted.target in targets.get(a.id, ()))
        and (not q or q in a.name.lower() or q in a.namespace.lower())
    ]
    found.sort(key=SORTS[wanted.sort], reverse=wanted.order == "desc")
    pages = max(1, -(-len(found) // wanted.size))
    start = (min(wanted.page, pages) - 1) * wanted.size
    rows = [Row(a, tuple(sorted(targets.get(a.id, ())))) for a in found[start : start + wanted.size]]
    return Listed(rows, len(found), pages)


@router.get("/applications", response_class=HTMLResponse)
def applications(
    request: Request,
    user: Annotated[UserRecord, Depends(page_user)],
    q: str = "",
    project: str = "",
    namespace: str = "",
    phase: str = "",
    health: str = "",
    target: str = "",
    sort: str = "namespace",
    order: str = "asc",
    page_number: Annotated[int, Query(alias="page", ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_SIZE)] = DEFAULT_SIZE,
) -> HTMLResponse:
    wanted = Wanted(q, project, namespace, phase, health, target, sort, order, page_number, size)
    wanted.check()
    store = state_of(request).store
    listed = select(
        store.apps(),
        wanted,
        visible_namespaces(request, user),
        project_namespaces(request, user, project),
        targets_by_app(store),
    )
    return page(
        request,
        "applications.html",
        wanted=wanted,
        listed=listed,
        phases=PHASES,
        target_names=sorted(t.name for t, _ in store.targets()),
    )


def project_namespaces(request: Request, user: UserRecord, project: str) -> frozenset[str] | None:
    """The namespaces of the chosen project (None: no project chosen). A project the caller is no
    member of is refused as if it did not exist, as the API does."""
    if not project:
        return None
    if project not in my_projects(request, user):
        raise ValidationError(f"project: {project!r} is not one of your projects")
    return frozenset(Projects(state_of(request).store).get(project).namespaces)
