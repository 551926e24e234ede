"""Project settings and deletion through the API, and the project's targets judged again whenever a
revision would run:

- an owner may narrow the project (drop a target) but not widen it (a namespace or target it lacks, or
  every target): 403 naming what was asked; an admin may do either; developers get 403, non-members 404;
- giving up a namespace in which applications live is 409 (they would belong to no project);
- deleting is an admin's: 409 while the project owns applications, with `force` it goes and the
  applications stay — invisible to its former members, still there for admins;
- once a target is taken from the project, restart and rollback of an application delivered there are
  refused like an apply, and so is an apply whose `deploy2runtime` or `apply-application` steps would
  reach it (not only `deploy` and `apply-component`)."""

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

PROJECT = "/api/v1/projects/team"
WEB = "/api/v1/namespaces/team/applications/web"


def _patch(server: ServerProcess, token: str, settings: dict[str, object]) -> tuple[int, str]:
    answer = server.request(
        "PATCH", PROJECT, json.dumps(settings), token=token, content_type="application/json"
    )
    return answer.status, answer.body.decode()


def _steps_app(name: str, step: str) -> str:
    head = app_yaml(name).rstrip("\n")
    return f"{head}\n  workflow: {{steps: [{step}]}}\n"


@pytest.fixture
def team(isolated_home: Path) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    """Project `team` (namespace team, target mem) with `web` delivered twice to mem; `mem2` registered."""
    tokens = prepare(isolated_home)
    store = Store.open(f"sqlite:///{isolated_home / 'vessel.db'}")
    store.add_target(TargetInfo("mem2", "memory", {}, {}), default=False, now=time.time())
    store.close()
    with started(isolated_home, tokens["admin"]) as server:
        for image in ("nginx:1", "nginx:2"):
            body = app_yaml("web").replace("nginx:1", image)
            assert (
                server.request("POST", "/api/v1/applications", body, token=tokens["developer"]).status == 202
            )
            wait_for(lambda: server.request("GET", WEB).json()["phase"] == "running", f"web {image} running")
        yield server, tokens


@pytest.mark.timeout(90)
def test_owners_narrow_admins_widen(team: tuple[ServerProcess, dict[str, str]]) -> None:
    server, tokens = team
    status, said = _patch(server, tokens["owner"], {"namespaces": ["team", "extra"]})
    assert status == 403 and "namespace extra" in said
    status, said = _patch(server, tokens["owner"], {"targets": []})
    assert status == 403 and "every target" in said
    status, said = _patch(server, tokens["owner"], {"targets": ["mem", "mem2"]})
    assert status == 403 and "target mem2" in said
    assert _patch(server, tokens["developer"], {"targets": ["mem"]})[0] == 403
    assert _patch(server, tokens["non-member"], {"targets": ["mem"]})[0] == 404
    status, said = _patch(
        server, tokens["admin"], {"targets": ["mem", "mem2"], "namespaces": ["team", "extra"]}
    )
    assert status == 200, said
    assert json.loads(said)["targets"] == ["mem", "mem2"] and json.loads(said)["namespaces"] == [
        "extra",
        "team",
    ]
    status, said = _patch(server, tokens["owner"], {"targets": ["mem"], "namespaces": ["team"]})
    assert status == 200, said  # narrowing
    status, said = _patch(server, tokens["admin"], {"namespaces": ["extra"]})
    assert status == 409 and "team" in said  # web lives there
    status, said = _patch(server, tokens["owner"], {"bogus": 1})
    assert status == 422 and "bogus" in said


@pytest.mark.timeout(90)
def test_only_admins_delete_and_force_leaves_the_applications(
    team: tuple[ServerProcess, dict[str, str]],
) -> None:
    server, tokens = team
    assert server.request("DELETE", PROJECT, token=tokens["owner"]).status == 403
    assert server.request("DELETE", PROJECT, token=tokens["non-member"]).status == 404
    refused = server.request("DELETE", PROJECT, token=tokens["admin"])
    assert refused.status == 409 and "1 application" in refused.json()["detail"]
    assert server.request("GET", WEB, token=tokens["developer"]).status == 200
    forced = server.request("DELETE", PROJECT + "?force=true", token=tokens["admin"])
    assert forced.status == 200 and forced.json() == {"deleted": True, "applicationsLeft": 1}
    assert server.request("GET", PROJECT, token=tokens["admin"]).status == 404
    assert server.request("GET", WEB, token=tokens["developer"]).status == 404  # no longer theirs
    assert server.request("GET", WEB, token=tokens["admin"]).json()["phase"] == "running"
    audit = server.request("GET", "/api/v1/audit", token=tokens["admin"]).json()
    assert [(e["action"], e["outcome"]) for e in audit if e["object"].startswith("team")][-2:] == [
        ("DELETE /api/v1/projects/{project}", "409"),
        ("DELETE /api/v1/projects/{project}", "200"),
    ]


@pytest.mark.timeout(90)
def test_a_target_taken_away_refuses_restart_rollback_and_every_placing_step(
    team: tuple[ServerProcess, dict[str, str]],
) -> None:
    server, tokens = team
    assert _patch(server, tokens["admin"], {"targets": ["mem2"]})[0] == 200
    for operation in ("restart", "rollback?revision=1"):
        answer = server.request("POST", f"{WEB}/workflow/{operation}", token=tokens["developer"])
        assert answer.status == 403, (operation, answer.body)
        assert "target mem," in answer.json()["detail"] or "target mem " in answer.json()["detail"]
    events = server.request("GET", WEB + "/events", token=tokens["developer"]).json()
    assert not [e for e in events if e["reason"] in ("Restart", "Rollback")]  # nothing was started
    for step in (
        "{name: all, type: deploy2runtime}",  # every target but local: mem too
        "{name: some, type: deploy2runtime, properties: {clusters: [mem]}}",
        "{name: app, type: apply-application}",  # the default target: mem
        "{name: rest, type: apply-remaining}",
    ):
        answer = server.request(
            "POST", "/api/v1/applications", _steps_app("other", step), token=tokens["developer"]
        )
        assert answer.status == 403, (step, answer.body)
        assert "target mem" in answer.json()["detail"]
    allowed = _steps_app("other", "{name: some, type: deploy2runtime, properties: {clusters: [mem2]}}")
    assert server.request("POST", "/api/v1/applications", allowed, token=tokens["developer"]).status == 202
