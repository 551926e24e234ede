"""The event streams of a namespace and of everything the caller may see: a member of one project gets
the events of its applications and never one of an application outside their projects (an admin gets
all); a namespace outside the caller's projects is 404, like an application they may not see; a
reconnect with `Last-Event-ID` gets exactly the events after that one; events name their application;
and a stream ends once its caller is removed from the project or their token is revoked."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from project_fixtures import app_yaml, prepare, started, status_only
from server_process import ServerProcess, wait_for
from vessel.controller.accounts import revoke_token
from vessel.store.store import Store

Frame = tuple[int, dict[str, str]]


def _frames(
    server: ServerProcess, path: str, token: str, last_event_id: int | None = None
) -> Iterator[Frame]:
    """(id, data) of each event of the stream, as it arrives."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    headers = {"Authorization": f"Bearer {token}"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    conn.request("GET", path, headers=headers)
    answer = conn.getresponse()
    assert answer.status == 200, answer.read()
    try:
        event_id = None
        while line := answer.fp.readline():
            text = line.decode().rstrip("\n")
            if text.startswith("id: "):
                event_id = int(text[4:])
            elif text.startswith("data: ") and event_id is not None:
                yield event_id, json.loads(text[6:])
    finally:
        conn.close()


def _until(frames: Iterator[Frame], namespace: str, name: str) -> list[Frame]:
    """The frames up to the one saying `namespace/name` is running."""
    seen = []
    for event_id, data in frames:
        seen.append((event_id, data))
        done = data["reason"] == "Phase" and data["message"].endswith("running")
        if done and (data["namespace"], data["application"]) == (namespace, name):
            return seen
    raise AssertionError(f"the stream ended before {namespace}/{name} was running: {seen}")


def _running(server: ServerProcess, token: str, namespace: str, name: str) -> bool:
    answer = server.request("GET", f"/api/v1/namespaces/{namespace}/applications/{name}", token=token)
    return answer.status == 200 and answer.json()["phase"] == "running"


@pytest.fixture
def delivered(isolated_home: Path) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    """`team/t1` and `other/o1` delivered, then `team/t2`: once t2 runs, nothing more happens."""
    tokens = prepare(isolated_home)
    with started(isolated_home, tokens["admin"]) as server:
        for name, namespace in (("t1", "team"), ("o1", "other")):
            answer = server.request("POST", "/api/v1/applications", app_yaml(name, namespace))
            assert answer.status == 202, answer.body
        for name, namespace in (("t1", "team"), ("o1", "other")):
            wait_for(lambda n=name, ns=namespace: _running(server, tokens["admin"], ns, n), f"{name} running")  # type: ignore[misc]
        assert server.request("POST", "/api/v1/applications", app_yaml("t2", "team")).status == 202
        yield server, tokens


@pytest.mark.timeout(90)
def test_a_member_sees_only_their_projects_events_and_an_admin_sees_all(
    delivered: tuple[ServerProcess, dict[str, str]],
) -> None:
    server, tokens = delivered
    everything = _until(_frames(server, "/api/v1/events/stream", tokens["admin"]), "team", "t2")
    assert {d["namespace"] for _, d in everything} == {"team", "other"}
    for role in ("developer", "viewer"):
        theirs = _until(_frames(server, "/api/v1/events/stream", tokens[role]), "team", "t2")
        assert theirs == [(i, d) for i, d in everything if d["namespace"] == "team"]
    for role in ("admin", "developer"):
        team = _until(_frames(server, "/api/v1/namespaces/team/events/stream", tokens[role]), "team", "t2")
        assert team == [(i, d) for i, d in everything if d["namespace"] == "team"]
    # nora owns `other` only: the whole stream shows her o1's events and nothing of team's.
    noras = _frames(server, "/api/v1/events/stream", tokens["non-member"])
    others = [(i, d) for i, d in everything if d["namespace"] == "other"]
    assert [next(noras) for _ in others] == others


@pytest.mark.timeout(90)
def test_a_namespace_outside_the_callers_projects_does_not_exist_for_them(
    delivered: tuple[ServerProcess, dict[str, str]],
) -> None:
    server, tokens = delivered
    assert status_only(server, "GET", "/api/v1/namespaces/team/events/stream", tokens["non-member"]) == 404
    assert status_only(server, "GET", "/api/v1/namespaces/nobody/events/stream", tokens["developer"]) == 404
    assert status_only(server, "GET", "/api/v1/events/stream", "not-a-token") == 401


@pytest.mark.timeout(90)
def test_a_reconnect_gets_exactly_the_events_after_the_last_one_seen(
    delivered: tuple[ServerProcess, dict[str, str]],
) -> None:
    server, tokens = delivered
    first = _until(_frames(server, "/api/v1/events/stream", tokens["developer"]), "team", "t2")
    middle = first[len(first) // 2][0]
    resumed = _until(_frames(server, "/api/v1/events/stream", tokens["developer"], middle), "team", "t2")
    assert resumed == [(i, d) for i, d in first if i > middle]
    in_team = "/api/v1/namespaces/team/events/stream"
    assert _until(_frames(server, in_team, tokens["developer"], middle), "team", "t2") == resumed


@pytest.mark.timeout(90)
def test_a_stream_ends_once_its_caller_is_removed_or_their_token_revoked(
    delivered: tuple[ServerProcess, dict[str, str]], isolated_home: Path
) -> None:
    server, tokens = delivered
    viewers = _frames(server, "/api/v1/namespaces/team/events/stream", tokens["viewer"])
    developers = _frames(server, "/api/v1/events/stream", tokens["developer"])
    assert next(viewers) and next(developers)  # both streams are open
    removed = server.request("DELETE", "/api/v1/projects/team/members/vic", token=tokens["owner"])
    assert removed.status == 200, removed.body
    store = Store.open(f"sqlite:///{isolated_home / 'vessel.db'}")
    try:  # as `vessel token revoke ID` does
        revoke_token(store, tokens["developer"].removeprefix("vsl_").split(".")[0], time.time(), actor="test")
    finally:
        store.close()
    started = time.monotonic()
    list(viewers), list(developers)  # each ends: the server closed it
    assert time.monotonic() - started < 15  # well before a keep-alive comment would have come
