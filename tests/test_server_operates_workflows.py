"""Workflow operations through the API do what `vessel workflow …` does and wait for nothing: resume
approves a suspended workflow and the server's loop finishes it; terminate stops one for good (resume
is then a 409 problem); restart runs the current revision again; rollback delivers an earlier revision
again, named by its number."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server_process import ServerProcess, admin_token, wait_for, with_target

STATUS = "/api/v1/namespaces/default/applications/{name}"
OPS = STATUS + "/workflow/{op}"


def _app(name: str, image: str, gate: bool) -> str:
    steps = [
        "  workflow:",
        "    steps:",
        "      - {name: approve, type: suspend}",
        f"      - {{name: {name}, type: apply-component, properties: {{component: {name}}}}}",
    ]
    return "\n".join(
        [
            "apiVersion: core.oam.dev/v1beta1",
            "kind: Application",
            f"metadata: {{name: {name}}}",
            "spec:",
            "  components:",
            f"    - {{name: {name}, type: webservice, properties: {{image: '{image}'}}}}",
            *(steps if gate else []),
            "",
        ]
    )


@pytest.fixture
def server(isolated_home: Path) -> Iterator[ServerProcess]:
    with_target(isolated_home, "mem", "memory")
    proc = ServerProcess(isolated_home, admin_token(isolated_home)).start("--interval", "0.2")
    try:
        yield proc
    finally:
        proc.kill()


def _status(server: ServerProcess, name: str) -> dict[str, object]:
    answer = server.request("GET", STATUS.format(name=name))
    assert answer.status == 200, answer.body
    doc: dict[str, object] = answer.json()
    return doc


def _reaches(server: ServerProcess, name: str, phase: str) -> dict[str, object]:
    found: dict[str, object] = wait_for(
        lambda: (doc := _status(server, name))["phase"] == phase and doc, f"{name} {phase}"
    )
    return found


@pytest.mark.timeout(90)
def test_resume_approves_and_terminate_stops_for_good(server: ServerProcess) -> None:
    for name in ("gated", "stopped"):
        assert server.request("POST", "/api/v1/applications", _app(name, "nginx:1", gate=True)).status == 202
        _reaches(server, name, "workflowSuspending")

    resumed = server.request("POST", OPS.format(name="gated", op="resume"))
    assert resumed.status == 202, resumed.body
    _reaches(server, "gated", "running")

    assert server.request("POST", OPS.format(name="stopped", op="terminate")).status == 202
    _reaches(server, "stopped", "workflowTerminated")
    again = server.request("POST", OPS.format(name="stopped", op="resume"))
    assert again.status == 409
    assert again.headers["content-type"] == "application/problem+json"


@pytest.mark.timeout(90)
def test_restart_and_rollback(server: ServerProcess) -> None:
    assert server.request("POST", "/api/v1/applications", _app("web", "nginx:1", gate=False)).status == 202
    _reaches(server, "web", "running")
    for number, image in ((2, "nginx:2"), (3, "nginx:3")):  # rollback to 1 is not "the one before"
        assert server.request("POST", "/api/v1/applications", _app("web", image, gate=False)).status == 202
        wait_for(lambda n=number: _status(server, "web")["revision"] == n, f"revision {number}")  # type: ignore[misc]
        _reaches(server, "web", "running")

    rolled = server.request("POST", OPS.format(name="web", op="rollback") + "?revision=1")
    assert rolled.status == 202, rolled.body
    assert rolled.json()["revision"] == 1
    wait_for(lambda: _status(server, "web")["phase"] == "running", "rolled back")
    assert (_status(server, "web")["revision"], _status(server, "web")["latestRevision"]) == (1, 3)
    missing = server.request("POST", OPS.format(name="web", op="rollback") + "?revision=9")
    assert missing.status == 409

    restarted = server.request("POST", OPS.format(name="web", op="restart"))
    assert restarted.status == 202, restarted.body
    assert restarted.json()["workflow"]["phase"] != "succeeded"  # a new run, not the finished one
    wait_for(lambda: _status(server, "web")["workflow"]["phase"] == "succeeded", "restarted run done")  # type: ignore[index]
    events = server.request("GET", STATUS.format(name="web") + "/events").json()
    assert [e["reason"] for e in events if e["reason"] in ("Rollback", "Restart")] == ["Rollback", "Restart"]

    keys = server.request("GET", "/api/v1/stats?name=web&since=1d").json()
    # Revisions 1, 2, 3 are the changes, all delivered; only 3 was rolled back (2 had been replaced by
    # 3 when the rollback came); the rollback and the restart are no changes.
    assert (keys["changes"], keys["deployments"], keys["failedChanges"]) == (3, 3, 1)
    assert server.request("GET", "/api/v1/stats?since=never").status == 422
