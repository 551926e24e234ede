"""Who may do what: one table from route to the permission it needs, checked by one dependency.

Every route of the API — and of the dashboard, which is served beside it and calls `authorize` on
each of its pages and buttons — has a rule in `ROUTES` (a test walks the app's routes and fails on one
without): the permission it needs and where that permission is judged.

| permission | admin | owner | developer | viewer | non-member |
|---|---|---|---|---|---|
| app.read, project.read | yes | yes | yes | yes | 404 |
| app.write, workflow.operate, workflow.approve | yes | yes | yes | 403 | 404 |
| project.manage | yes | yes | 403 | 403 | 404 |
| target.admin, addon.admin, project.create, audit.read, stats.all | yes | 403 | 403 | 403 | 403 |
| project.delete | yes | 403 | 403 | 403 | 404 |
| target.read, definition.read, addon.read, app.render (dry-run, def render, vet) | every user with a token |

`admin` is a user's flag (`vessel user add --admin`); the other roles are per project, and a project
owns namespaces: an application is in the project owning its namespace. Judged where:

- `namespace`: the `{namespace}` of the path (or, for `stats` with `name`, the `namespace` query). A
  caller with no role in the project owning it — or when no project owns it — is told the application
  (or, for a route naming no application, the namespace) does not exist (404, the very answer a missing
  one gets), so nobody learns of applications outside their projects; a role too weak is 403.
- `project`: the `{project}` of the path, the same way (404 for a non-member).
- `body`: apply names its namespaces in the body; the handler calls `check_apply` once it has read
  them. A namespace no project of the caller's (as developer or owner) owns is refused with 403
  naming it — the caller named it, so saying so tells them nothing new — and so is an application
  whose workflow would deliver to a target its project may not use (naming the project's targets).
  Restart and rollback (judged by `namespace`) also call `check_targets` for the revision they would
  run: the project's targets may have been narrowed since it was applied.
- Project settings (`PATCH /projects/{project}`, judged by `project`): an owner may narrow them —
  give up namespaces, drop targets — but widening (a namespace or a target the project does not have,
  or "every target") is an admin's: `check_settings`, 403 naming what was asked.
- `user`: any valid token; lists (`GET /applications`, `GET /projects`) and the stream of every
  event (`GET /events/stream`) show only what the caller's projects hold (`visible_namespaces`,
  `visible_projects`).
- `platform`: admins only (403 for everyone else: targets, addons, projects, the audit log are the
  platform's).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request

from vessel.api.auth import ApiProblem, caller, state_of
from vessel.controller.accounts import authenticate
from vessel.controller.reader import no_such_app
from vessel.errors import NotFoundError
from vessel.store.accounts import UserRecord
from vessel.store.projects import ProjectRecord, Projects

Scope = Literal["public", "user", "platform", "namespace", "project", "body"]
READ = frozenset({"owner", "developer", "viewer"})
WRITE = frozenset({"owner", "developer"})
MANAGE = frozenset({"owner"})
NOBODY: frozenset[str] = frozenset()  # admins only

ROLES_FOR = {  # permission -> the project roles that have it (admins have every permission)
    "app.read": READ,
    "project.read": READ,
    "app.write": WRITE,
    "workflow.operate": WRITE,
    "workflow.approve": WRITE,
    "project.manage": MANAGE,
    "project.delete": NOBODY,
    "target.admin": NOBODY,
    "addon.admin": NOBODY,
    "project.create": NOBODY,
    "audit.read": NOBODY,
    "stats.all": NOBODY,
    "target.read": READ,
    "definition.read": READ,
    "addon.read": READ,
    "app.render": READ,
}


@dataclass(frozen=True)
class Rule:
    permission: str
    scope: Scope


APP = "/api/v1/namespaces/{namespace}/applications/{name}"
PROJECT = "/api/v1/projects/{project}"
PAGE = "/applications/{namespace}/{name}"  # an application's page in the dashboard
ROUTES: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): Rule("", "public"),
    ("GET", "/readyz"): Rule("", "public"),
    ("GET", "/metrics"): Rule("", "public"),  # unless --metrics-token: then any valid token
    ("POST", "/api/v1/applications"): Rule("app.write", "body"),
    ("POST", "/api/v1/dry-run"): Rule("app.render", "user"),
    ("GET", "/api/v1/applications"): Rule("app.read", "user"),
    ("GET", APP): Rule("app.read", "namespace"),
    ("GET", f"{APP}/events"): Rule("app.read", "namespace"),
    ("GET", f"{APP}/events/stream"): Rule("app.read", "namespace"),
    ("GET", "/api/v1/namespaces/{namespace}/events/stream"): Rule("app.read", "namespace"),
    ("GET", "/api/v1/events/stream"): Rule("app.read", "user"),  # filtered: visible_namespaces
    ("GET", f"{APP}/revisions"): Rule("app.read", "namespace"),
    ("GET", f"{APP}/revisions/{{number}}/manifests"): Rule("app.read", "namespace"),
    ("GET", f"{APP}/diff"): Rule("app.read", "namespace"),
    ("GET", f"{APP}/logs"): Rule("app.read", "namespace"),
    ("DELETE", APP): Rule("app.write", "namespace"),
    ("POST", f"{APP}/workflow/suspend"): Rule("workflow.operate", "namespace"),
    ("POST", f"{APP}/workflow/resume"): Rule("workflow.approve", "namespace"),
    ("POST", f"{APP}/workflow/terminate"): Rule("workflow.operate", "namespace"),
    ("POST", f"{APP}/workflow/restart"): Rule("workflow.operate", "namespace"),
    ("POST", f"{APP}/workflow/rollback"): Rule("workflow.operate", "namespace"),
    ("GET", "/api/v1/stats"): Rule("app.read", "namespace"),  # without `name`: stats.all
    ("GET", "/api/v1/targets"): Rule("target.read", "user"),
    ("POST", "/api/v1/targets"): Rule("target.admin", "platform"),
    ("PUT", "/api/v1/targets/{name}/default"): Rule("target.admin", "platform"),
    ("DELETE", "/api/v1/targets/{name}"): Rule("target.admin", "platform"),
    ("GET", "/api/v1/definitions"): Rule("definition.read", "user"),
    ("GET", "/api/v1/definitions/{name}"): Rule("definition.read", "user"),
    ("POST", "/api/v1/definitions/render"): Rule("app.render", "user"),  # as dry-run: nothing stored
    ("POST", "/api/v1/definitions/vet"): Rule("app.render", "user"),
    ("GET", "/api/v1/addons"): Rule("addon.read", "user"),
    ("GET", "/api/v1/addons/{name}"): Rule("addon.read", "user"),
    ("GET", "/api/v1/addon-status"): Rule("addon.read", "user"),
    ("POST", "/api/v1/addons/{name}/enable"): Rule("addon.admin", "platform"),
    ("POST", "/api/v1/addons/{name}/upgrade"): Rule("addon.admin", "platform"),
    ("DELETE", "/api/v1/addons/{name}"): Rule("addon.admin", "platform"),
    ("GET", "/api/v1/audit"): Rule("audit.read", "platform"),
    ("POST", "/api/v1/projects"): Rule("project.create", "platform"),
    ("GET", "/api/v1/projects"): Rule("project.read", "user"),
    ("GET", PROJECT): Rule("project.read", "project"),
    ("PATCH", PROJECT): Rule("project.manage", "project"),  # an owner only narrows: check_settings
    ("DELETE", PROJECT): Rule("project.delete", "project"),
    ("POST", f"{PROJECT}/members"): Rule("project.manage", "project"),
    ("DELETE", f"{PROJECT}/members/{{user}}"): Rule("project.manage", "project"),
    # The dashboard (vessel/dashboard): its pages and buttons, judged by these same rules
    ("GET", "/sign-in"): Rule("", "public"),
    ("POST", "/sign-in"): Rule("", "public"),
    ("POST", "/sign-out"): Rule("", "user"),
    ("GET", "/"): Rule("app.read", "user"),  # shows only the caller's projects' applications
    ("GET", "/applications"): Rule("app.read", "user"),  # likewise
    ("GET", PAGE): Rule("app.read", "namespace"),
    ("GET", f"{PAGE}/live"): Rule("app.read", "namespace"),
    ("GET", f"{PAGE}/revisions"): Rule("app.read", "namespace"),
    ("GET", f"{PAGE}/logs"): Rule("app.read", "namespace"),
    ("POST", f"{PAGE}/workflow/suspend"): Rule("workflow.operate", "namespace"),
    ("POST", f"{PAGE}/workflow/resume"): Rule("workflow.approve", "namespace"),
    ("POST", f"{PAGE}/workflow/terminate"): Rule("workflow.operate", "namespace"),
    ("POST", f"{PAGE}/workflow/restart"): Rule("workflow.operate", "namespace"),
    ("POST", f"{PAGE}/workflow/rollback"): Rule("workflow.operate", "namespace"),
    # The dashboard's editor, form, targets, definitions and audit pages (vessel/dashboard/editor.py …)
    ("GET", "/applications/new"): Rule("app.render", "user"),  # applying is judged on POST
    ("POST", "/applications/new"): Rule("app.write", "body"),  # the API's apply: check_apply
    ("POST", "/applications/validate"): Rule("app.render", "user"),  # the API's dry-run
    ("GET", "/applications/form"): Rule("definition.read", "user"),
    ("POST", "/applications/form"): Rule("definition.read", "user"),  # makes YAML, changes nothing
    ("GET", f"{PAGE}/edit"): Rule("app.write", "namespace"),
    ("GET", "/targets"): Rule("target.read", "user"),  # lists only the caller's projects' applications
    ("GET", "/definitions"): Rule("definition.read", "user"),
    ("GET", "/definitions/{name}"): Rule("definition.read", "user"),
    ("GET", "/audit"): Rule("audit.read", "platform"),
    # The dashboard's addons pages (vessel/dashboard/addons_page.py): the API's addon rules
    ("GET", "/addons"): Rule("addon.read", "user"),
    ("GET", "/addons/{name}"): Rule("addon.read", "user"),
    ("POST", "/addons/{name}/enable"): Rule("addon.admin", "platform"),
    ("POST", "/addons/{name}/upgrade"): Rule("addon.admin", "platform"),
    ("POST", "/addons/{name}/disable"): Rule("addon.admin", "platform"),
}


def rule_for(request: Request) -> Rule:
    route = request.scope.get("route")
    found = ROUTES.get((request.method, getattr(route, "path", "")))
    if found is None:  # a route nobody wrote a rule for: closed, not open
        raise ApiProblem(403, f"{request.method} {request.url.path} has no permission rule")
    return found


def authorize(request: Request, user: Annotated[UserRecord, Depends(caller)]) -> UserRecord:
    """The dependency of every route that needs a token: the caller, allowed what the route needs."""
    rule = rule_for(request)
    if user.admin or rule.scope in ("user", "body"):
        return user
    if rule.scope == "platform":
        raise ApiProblem(403, f"{user.name} is not an admin ({rule.permission} is the platform's)")
    params, query = request.path_params, request.query_params
    if rule.scope == "project":
        _judge_project(request, user, str(params["project"]), rule.permission)
    elif "namespace" in params and "name" not in params:  # a whole namespace (its event stream)
        _judge_namespace(request, user, str(params["namespace"]), None, rule.permission)
    elif "namespace" in params:
        _judge_namespace(request, user, str(params["namespace"]), str(params["name"]), rule.permission)
    elif "name" in query:  # stats of one application
        _judge_namespace(request, user, query.get("namespace", "default"), query["name"], rule.permission)
    else:
        raise ApiProblem(403, f"{user.name} is not an admin (stats.all is the platform's)")
    return user


def still_allowed(request: Request) -> bool:
    """Whether the caller of a long-lived request (an event stream) may still make it: their token is
    still valid (not revoked, not expired) and the route's rule still lets them (still a member)."""
    state = state_of(request)
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    user = (
        authenticate(state.store, presented.strip(), state.clock.now())
        if scheme.lower() == "bearer"
        else None
    )
    if user is None:
        return False
    try:
        authorize(request, user)
    except (ApiProblem, NotFoundError):
        return False
    return True


def _judge_namespace(
    request: Request, user: UserRecord, namespace: str, name: str | None, permission: str
) -> None:
    projects = Projects(state_of(request).store)
    owner = projects.owner_of(namespace)
    role = projects.roles_of(user.id).get(owner.name) if owner is not None else None
    if owner is None or role is None:  # as if it did not exist: it does not, for this caller
        raise no_such_app(namespace, name) if name is not None else no_such_namespace(namespace)
    _judge_role(user, role, owner.name, permission)


def no_such_namespace(namespace: str) -> NotFoundError:
    return NotFoundError(f"namespace {namespace!r} not found", hint="`vessel project list` shows yours")


def _judge_project(request: Request, user: UserRecord, project: str, permission: str) -> None:
    role = Projects(state_of(request).store).roles_of(user.id).get(project)
    if role is None:
        raise NotFoundError(f"project {project!r} not found", hint="`vessel project list` shows them")
    _judge_role(user, role, project, permission)


def _judge_role(user: UserRecord, role: str, project: str, permission: str) -> None:
    if role not in ROLES_FOR[permission]:
        allowed = " or ".join(sorted(ROLES_FOR[permission])) or "admin"
        raise ApiProblem(403, f"{user.name} is a {role} of project {project}; {permission} needs {allowed}")


def may(request: Request, user: UserRecord, namespace: str, permission: str) -> bool:
    """Whether `user` has `permission` on the applications of `namespace` (the dashboard shows only the
    buttons a caller may use; what they do is still judged by `authorize`)."""
    if user.admin:
        return True
    projects = Projects(state_of(request).store)
    owner = projects.owner_of(namespace)
    role = projects.roles_of(user.id).get(owner.name) if owner is not None else None
    return role is not None and role in ROLES_FOR[permission]


def visible_namespaces(request: Request, user: UserRecord) -> frozenset[str] | None:
    """The namespaces whose applications the caller may see; None: every one (an admin)."""
    if user.admin:
        return None
    projects = Projects(state_of(request).store)
    mine = projects.roles_of(user.id)
    return frozenset(ns for ns, project in projects.namespaces().items() if project in mine)


def visible_projects(request: Request, user: UserRecord) -> frozenset[str] | None:
    """The projects the caller may see; None: every one (an admin)."""
    return None if user.admin else frozenset(Projects(state_of(request).store).roles_of(user.id))


def check_targets(request: Request, namespace: str, name: str, targets: Iterable[str]) -> None:
    """Refuse (403) running `namespace/name` on a target the project owning the namespace may not use
    (admins too: the targets are the project's rule, not the user's)."""
    owner = Projects(state_of(request).store).owner_of(namespace)
    if owner is None or not owner.targets:
        return
    forbidden = [t for t in targets if t not in owner.targets]
    if forbidden:
        raise ApiProblem(
            403,
            f"{namespace}/{name} would deliver to target {', '.join(forbidden)}, which project "
            f"{owner.name} may not use; its targets: {', '.join(owner.targets)}",
        )


def check_settings(
    user: UserRecord, project: ProjectRecord, namespaces: Iterable[str] | None, targets: Iterable[str] | None
) -> None:
    """Refuse (403) a non-admin's change that widens the project: a namespace or a target it does not
    have, or every target (no targets listed) where it had a list."""
    if user.admin:
        return
    added = [f"namespace {ns}" for ns in namespaces or () if ns not in project.namespaces]
    if targets is not None:
        wanted = list(targets)
        if not wanted and project.targets:
            added.append("every target")
        if project.targets:
            added += [f"target {t}" for t in wanted if t not in project.targets]
    if added:
        raise ApiProblem(
            403,
            f"{user.name} may narrow project {project.name} but not widen it: {', '.join(added)} is an "
            "admin's to give",
        )


def check_apply(
    request: Request, user: UserRecord, applying: Iterable[tuple[str, str, tuple[str, ...]]]
) -> None:
    """Refuse (403) an apply of (namespace, name, targets it would deliver to) the caller may not make:
    into a namespace no project of theirs owns with a role that may write, or to a target its project
    may not use (admins too: the targets are the project's rule, not the user's)."""
    projects = Projects(state_of(request).store)
    roles = projects.roles_of(user.id)
    for namespace, name, targets in applying:
        owner = projects.owner_of(namespace)
        role = roles.get(owner.name) if owner is not None else None
        if not user.admin and (role is None or role not in ROLES_FOR["app.write"]):
            raise ApiProblem(
                403,
                f"{user.name} may not apply {namespace}/{name}: no project where they are a developer or "
                f"owner owns namespace {namespace!r}",
            )
        check_targets(request, namespace, name, targets)
