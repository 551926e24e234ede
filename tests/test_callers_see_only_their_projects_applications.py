"""Projects decide what a caller sees and may do: an application outside the caller's projects is
answered exactly as one that does not exist (404, never 403) and left out of lists; an apply into a
namespace no project of the caller's owns, or to a target the project may not use, is refused (403,
naming the namespace, or the target and the targets allowed) with nothing stored; a viewer cannot
approve (resume) a suspended workflow; a project's owner adds members, a developer cannot."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from project_fixtures import app_yaml, prepare, started
from server_process import ServerProcess, wait_for
from vessel.store.store import Store
from vessel.targets.protocol import TargetInfo

APP = "/api/v1/namespaces/{ns}/applications/{name}"


@pytest.fixture
def team(isolated_home: Path) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    tokens = prepare(isolated_home, extra_users=("newbie",))
    store = Store.open(f"sqlite:///{isolated_home / 'vessel.db'}")
    try:
        store.add_target(TargetInfo("mem2", "memory", {}, {}), default=False, now=time.time())
    finally:
        store.close()
    with started(isolated_home, tokens["admin"]) as server:
        yield server, tokens


def _apply(server: ServerProcess, token: str, body: str) -> tuple[int, dict[str, object]]:
    answer = server.request("POST", "/api/v1/applications", body, token=token)
    return answer.status, answer.json()


@pytest.mark.timeout(90)
def test_other_projects_applications_are_404_like_missing_ones(
    team: tuple[ServerProcess, dict[str, str]],
) -> None:
    server, tokens = team
    assert _apply(server, tokens["developer"], app_yaml("web"))[0] == 202
    assert _apply(server, tokens["non-member"], app_yaml("mine", namespace="other"))[0] == 202
    outsider = tokens["non-member"]
    hidden = server.request("GET", APP.format(ns="team", name="web"), token=outsider)
    missing = server.request("GET", APP.format(ns="team", name="nope"), token=tokens["admin"])
    assert (hidden.status, missing.status) == (404, 404)
    assert hidden.json()["detail"] == missing.json()["detail"].replace("nope", "web")
    for method, suffix in [("DELETE", ""), ("POST", "/workflow/terminate"), ("GET", "/revisions")]:
        answer = server.request(method, APP.format(ns="team", name="web") + suffix, token=outsider)
        assert answer.status == 404, (method, suffix, answer.body)
    listed = server.request("GET", "/api/v1/applications", token=outsider).json()["items"]
    assert [(a["namespace"], a["name"]) for a in listed] == [("other", "mine")]
    everything = server.request("GET", "/api/v1/applications", token=tokens["admin"]).json()["items"]
    assert {(a["namespace"], a["name"]) for a in everything} == {("other", "mine"), ("team", "web")}
    assert server.request("GET", APP.format(ns="team", name="web"), token=tokens["developer"]).status == 200


@pytest.mark.timeout(90)
def test_a_target_the_project_may_not_use_is_refused_at_apply(
    team: tuple[ServerProcess, dict[str, str]],
) -> None:
    server, tokens = team
    status, problem = _apply(server, tokens["developer"], app_yaml("away", target="mem2"))
    assert status == 403, problem
    assert "target mem2" in str(problem["detail"]) and "its targets: mem" in str(problem["detail"])
    assert server.request("GET", APP.format(ns="team", name="away"), token=tokens["admin"]).status == 404
    assert _apply(server, tokens["admin"], app_yaml("away", target="mem2"))[0] == 403  # the project's rule
    assert _apply(server, tokens["developer"], app_yaml("home", target="mem"))[0] == 202
    assert _apply(server, tokens["non-member"], app_yaml("free", namespace="other", target="mem2"))[0] == 202


@pytest.mark.timeout(90)
def test_apply_outside_the_callers_projects_is_refused(team: tuple[ServerProcess, dict[str, str]]) -> None:
    server, tokens = team
    for role, namespace in [("developer", "other"), ("developer", "nowhere"), ("viewer", "team")]:
        status, problem = _apply(server, tokens[role], app_yaml("web", namespace=namespace))
        assert status == 403, (role, namespace, problem)
        assert f"namespace {namespace!r}" in str(problem["detail"])
        assert (
            server.request("GET", APP.format(ns=namespace, name="web"), token=tokens["admin"]).status == 404
        )


@pytest.mark.timeout(90)
def test_a_viewer_cannot_resume_a_suspended_workflow(team: tuple[ServerProcess, dict[str, str]]) -> None:
    server, tokens = team
    assert _apply(server, tokens["developer"], app_yaml("gated", gate=True))[0] == 202
    status = APP.format(ns="team", name="gated")
    wait_for(lambda: server.request("GET", status).json()["phase"] == "workflowSuspending", "suspended")
    refused = server.request("POST", status + "/workflow/resume", token=tokens["viewer"])
    assert refused.status == 403, refused.body
    assert server.request("GET", status).json()["phase"] == "workflowSuspending"
    assert server.request("POST", status + "/workflow/resume", token=tokens["developer"]).status == 202
    wait_for(lambda: server.request("GET", status).json()["phase"] == "running", "running after resume")


@pytest.mark.timeout(90)
def test_owners_add_members_and_others_cannot(team: tuple[ServerProcess, dict[str, str]]) -> None:
    server, tokens = team
    members = "/api/v1/projects/team/members"
    newbie = json.dumps({"user": "newbie", "role": "developer"})

    def add(role: str) -> int:
        return server.request(
            "POST", members, newbie, token=tokens[role], content_type="application/json"
        ).status

    assert (add("developer"), add("viewer"), add("non-member")) == (403, 403, 404)
    assert server.request("GET", "/api/v1/projects/team", token=tokens["newbie"]).status == 404
    assert add("owner") == 200
    project = server.request("GET", "/api/v1/projects/team", token=tokens["newbie"])
    assert {"user": "newbie", "role": "developer"} in project.json()["members"]
    assert _apply(server, tokens["newbie"], app_yaml("fresh"))[0] == 202
    removed = server.request("DELETE", members + "/newbie", token=tokens["owner"])
    assert removed.status == 200, removed.body
    assert _apply(server, tokens["newbie"], app_yaml("again"))[0] == 403
    audit = server.request("GET", "/api/v1/audit", token=tokens["admin"]).json()
    changes = [
        (e["actor"], e["action"], e["object"], e["outcome"]) for e in audit if "members" in e["action"]
    ]
    assert ("olive", "POST /api/v1/projects/{project}/members", "team/newbie (developer)", "200") in changes
    assert ("dev", "POST /api/v1/projects/{project}/members", "team", "403") in changes
    assert ("olive", "DELETE /api/v1/projects/{project}/members/{user}", "team/newbie", "200") in changes


@pytest.mark.timeout(90)
def test_stats_over_every_application_are_for_admins(team: tuple[ServerProcess, dict[str, str]]) -> None:
    server, tokens = team
    assert _apply(server, tokens["developer"], app_yaml("web"))[0] == 202
    everything = "/api/v1/stats?since=1d"
    assert [server.request("GET", everything, token=tokens[r]).status for r in ("owner", "admin")] == [
        403,
        200,
    ]
    one = "/api/v1/stats?namespace=team&name=web"
    seen = [server.request("GET", one, token=tokens[r]).status for r in ("viewer", "non-member")]
    assert seen == [200, 404]
