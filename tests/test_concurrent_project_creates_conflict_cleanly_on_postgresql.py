"""Two servers sharing one PostgreSQL get the same project created at the same moment: one answers 201,
the other 409 naming the project — never a 500 from the database's unique constraint, which is what the
loser of the race meets when both checked for the name before either inserted it. The same for two
projects claiming one namespace at once. Each round starts both requests together (a barrier), over
many rounds, so the race is met, not hoped for."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from server_process import Answer, ServerProcess, admin_token
from vessel.controller.accounts import add_user
from vessel.store.store import Store

ROUNDS = 15


def _both(
    servers: list[ServerProcess], bodies: list[dict[str, object]], path: str = "/api/v1/projects"
) -> list[Answer]:
    barrier = threading.Barrier(len(servers))
    answers: list[Answer | None] = [None] * len(servers)

    def create(i: int) -> None:
        body = json.dumps(bodies[i])
        barrier.wait(10)
        answers[i] = servers[i].request("POST", path, body, content_type="application/json")

    threads = [threading.Thread(target=create, args=(i,)) for i in range(len(servers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(a is not None for a in answers)
    return [a for a in answers if a is not None]


@pytest.mark.timeout(180)
def test_one_create_wins_and_the_other_is_a_conflict(postgres_url: str, tmp_path: Path) -> None:
    token = admin_token(tmp_path, postgres_url)
    store = Store.open(postgres_url)
    add_user(store, "bob", time.time(), actor="test")
    store.close()
    env = {"VESSEL_DATABASE_URL": postgres_url}
    servers = []
    try:
        for name in ("one", "two"):
            (tmp_path / name).mkdir()
            servers.append(ServerProcess(tmp_path / name, token, env=env).start())
        for i in range(ROUNDS):
            same = {"name": f"p{i}", "namespaces": [f"ns{i}"]}
            answers = _both(servers, [same, same])
            assert sorted(a.status for a in answers) == [201, 409], [a.body for a in answers]
            assert f"p{i}" in next(a for a in answers if a.status == 409).json()["detail"]
            claims = [{"name": f"q{i}-{n}", "namespaces": [f"shared{i}"]} for n in (1, 2)]
            answers = _both(servers, claims)
            assert sorted(a.status for a in answers) == [201, 409], [a.body for a in answers]
            assert f"shared{i}" in next(a for a in answers if a.status == 409).json()["detail"]
            roles = [{"user": "bob", "role": role} for role in ("developer", "viewer")]
            answers = _both(servers, roles, f"/api/v1/projects/p{i}/members")
            assert [a.status for a in answers] == [200, 200], [a.body for a in answers]
            members = servers[0].request("GET", f"/api/v1/projects/p{i}").json()["members"]
            assert len(members) == 1 and members[0]["role"] in ("developer", "viewer")
    finally:
        for server in servers:
            server.kill()
