"""The permission matrix, exhaustively: every route of the API and of the dashboard (read from the app's
route table, so a new endpoint or page without a rule fails here) is called by every role — admin, owner,
developer, viewer of the project owning the namespace, and a non-member — against a real server, and each
call is allowed or denied as the documented matrix (README, docs/server.md) says. Denied means 404 for a
non-member where an application or project is named (it is not theirs to know of), 403 otherwise; allowed
means the route answered something other than 401, 403 or 404.

Each (route, role) call acts on its own application, target or member, so one role's delete or terminate
never changes what another role's call finds."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

import pytest
from fastapi.routing import APIRoute

from addon_fixtures import GREETING
from project_fixtures import ROLES, app_yaml, prepare, started, status_only
from server_process import ServerProcess, wait_for
from vessel.addons import enable as addons
from vessel.api.app import create_app
from vessel.api.permissions import ROUTES, Rule
from vessel.controller.projects import add_member
from vessel.store.store import Store
from vessel.targets.protocol import TargetInfo

EVERYONE = frozenset(ROLES)
MEMBERS = frozenset({"admin", "owner", "developer", "viewer"})
WRITERS = frozenset({"admin", "owner", "developer"})
ADMINS = frozenset({"admin"})
WHO_MAY = {  # the documented matrix: permission -> roles allowed
    "": EVERYONE,  # the probes and metrics
    "app.read": MEMBERS,
    "project.read": MEMBERS,
    "app.write": WRITERS,
    "workflow.operate": WRITERS,
    "workflow.approve": WRITERS,
    "project.manage": frozenset({"admin", "owner"}),
    "target.admin": ADMINS,
    "addon.admin": ADMINS,
    "addon.read": EVERYONE,
    "project.create": ADMINS,
    "project.delete": ADMINS,
    "audit.read": ADMINS,
    "target.read": EVERYONE,
    "definition.read": EVERYONE,
    "app.render": EVERYONE,
}


FILTERED = {  # everyone: they list only what the caller may see
    ("GET", "/api/v1/applications"),  # test_callers_see_only_their_projects_applications.py
    ("GET", "/api/v1/projects"),
    ("GET", "/api/v1/events/stream"),  # test_event_streams_show_a_caller_only_their_projects.py
    ("GET", "/"),  # the dashboard's overview and list (test_dashboard_shows_only_the_callers_projects.py)
    ("GET", "/applications"),
}


def _routes() -> list[tuple[str, str]]:
    """(method, path) of every route the app serves but FastAPI's own docs (routers included)."""
    found: list[Any] = []
    for route in create_app(cast(Any, None)).router.routes:
        contexts = getattr(route, "effective_route_contexts", None)  # an included router (FastAPI 0.16x)
        found += [c.original_route for c in contexts()] if contexts else [route]
    return sorted((m, r.path) for r in found if isinstance(r, APIRoute) for m in r.methods)


def test_every_route_has_a_rule_and_every_rule_a_route() -> None:
    routes = _routes()
    missing = [r for r in routes if r not in ROUTES]
    assert not missing, f"routes without a permission rule (api/permissions.py ROUTES): {missing}"
    assert sorted(ROUTES) == routes, "rules for routes that do not exist"
    unknown = {r.permission for r in ROUTES.values()} - set(WHO_MAY)
    assert not unknown, f"permissions the documented matrix does not name: {unknown}"


def _call(index: int, method: str, path: str, role: str) -> tuple[str, str | None]:
    """The concrete path and body of `method path` for `role`, on objects of its own."""
    own = f"a{index}-{role}"
    filled = (
        path.replace("{namespace}", "team")
        .replace("{number}", "1")
        .replace("{project}", "team")
        .replace("{user}", f"spare-{role}")
    )
    if path.startswith(("/api/v1/addons/", "/addons/")):  # the built-in `bindings`: enabled, disabled…
        filled = filled.replace("{name}", "bindings")
    if path.startswith("/api/v1/targets/"):
        filled = filled.replace("{name}", "mem" if method == "PUT" else f"gone-{role}")
    filled = filled.replace("/definitions/{name}", "/definitions/webservice").replace("{name}", own)
    bodies = {
        ("POST", "/api/v1/applications"): app_yaml(f"new-{role}"),
        ("POST", "/api/v1/dry-run"): app_yaml("dry"),
        ("POST", "/api/v1/definitions/render"): json.dumps({"name": "scaler", "properties": {"replicas": 2}}),
        ("POST", "/api/v1/definitions/vet"): GREETING.format(name=f"vetted-{role}"),
        ("POST", "/api/v1/targets"): json.dumps({"name": f"new-{role}", "type": "memory"}),
        ("POST", "/api/v1/projects"): json.dumps({"name": f"p-{role}"}),
        ("POST", "/api/v1/addons/{name}/enable"): "{}",
        ("POST", "/api/v1/addons/{name}/upgrade"): "{}",
        ("POST", "/api/v1/projects/{project}/members"): json.dumps({"user": "spare", "role": "viewer"}),
        ("PATCH", "/api/v1/projects/{project}"): json.dumps({"targets": ["mem"]}),  # as it is: narrowing
        ("POST", "/applications/new"): urlencode({"yaml": app_yaml(f"page-{role}")}),  # the editor's apply
        ("POST", "/applications/validate"): app_yaml("dry"),
        ("POST", "/applications/form"): urlencode({"name": "formed", "namespace": "team", "p.image": "x"}),
        **{("POST", f"/addons/{{name}}/{a}"): "" for a in ("enable", "upgrade", "disable")},  # asks first
    }
    if path == "/api/v1/stats":
        filled += f"?namespace=team&name={own}"
    return filled, bodies.get((method, path))


def _prepare_objects(home: Path) -> None:
    store = Store.open(f"sqlite:///{home / 'vessel.db'}")
    try:
        for role in ROLES:
            store.add_target(TargetInfo(f"gone-{role}", "memory", {}, {}), default=False, now=time.time())
            add_member(store, "team", f"spare-{role}", "viewer", time.time(), actor="test")
        addons.commit(store, addons.prepare(store, "bindings", {}, time.time()))  # for DELETE to disable
    finally:
        store.close()


@pytest.mark.timeout(240)
def test_each_role_may_call_exactly_the_routes_the_matrix_gives_it(isolated_home: Path) -> None:
    tokens = prepare(isolated_home, extra_users=("spare", *(f"spare-{r}" for r in ROLES)))
    _prepare_objects(isolated_home)
    routes = _routes()
    with started(isolated_home, tokens["admin"]) as server:
        apps = [app_yaml(f"a{i}-{role}") for i, _ in enumerate(routes) for role in ROLES]
        stored = server.request("POST", "/api/v1/applications", "---\n".join(apps))
        assert stored.status == 202, stored.body
        wrong = []
        for index, (method, path) in enumerate(routes):
            rule = ROUTES[(method, path)]
            if path.endswith("/logs"):  # an application's logs are its workload's: wait until it has one
                _delivered(server, [f"a{index}-{role}" for role in ROLES])
            for role in ROLES:
                concrete, body = _call(index, method, path, role)
                got = status_only(server, method, concrete, tokens[role], body)
                expected = "allowed" if (method, path) in FILTERED else _expected(rule, role)
                if (expected == "allowed" and got in (401, 403, 404)) or (
                    expected != "allowed" and got != expected
                ):
                    wrong.append(f"{role:>10} {method} {concrete}: {got}, expected {expected}")
        assert not wrong, "\n".join(wrong)


def _delivered(server: ServerProcess, names: list[str]) -> None:
    for name in names:
        path = f"/api/v1/namespaces/team/applications/{name}"
        wait_for(lambda p=path: server.request("GET", p).json().get("phase") == "running", f"{name} running")


def _expected(rule: Rule, role: str) -> str | int:
    if role in WHO_MAY[rule.permission]:
        return "allowed"
    return 404 if role == "non-member" and rule.scope in ("namespace", "project") else 403
