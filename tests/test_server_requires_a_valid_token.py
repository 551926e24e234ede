"""Every API route needs a valid bearer token: none, a made-up one, a right id with a wrong secret, a
revoked one and an expired one are all 401 (problem+json, `WWW-Authenticate: Bearer`), and nothing is
done for them. The probes (/healthz, /readyz) and /metrics answer without one; `--metrics-token` closes
/metrics too. Tokens come from `vessel server init` and `vessel token create`, are revoked with
`vessel token revoke`, and the store keeps no token in clear."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server_process import ServerProcess, admin_token, with_target
from vessel.cli.main import app as cli
from vessel.controller.accounts import issue_token
from vessel.store.accounts import Accounts
from vessel.store.store import Store

LIST = "/api/v1/applications"


@pytest.fixture
def server(isolated_home: Path) -> Iterator[ServerProcess]:
    with_target(isolated_home, "mem", "memory")
    proc = ServerProcess(isolated_home, admin_token(isolated_home)).start("--bad-tokens", "1000")
    try:
        yield proc
    finally:
        proc.kill()


def _refused(server: ServerProcess, token: str | None) -> None:
    answer = server.request("GET", LIST, token=token)
    assert answer.status == 401, answer.body
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_no_token_or_a_wrong_one_is_401(server: ServerProcess) -> None:
    assert server.request("GET", LIST).status == 200  # the admin's token works
    _refused(server, None)
    _refused(server, "not-a-token")
    key_id = server.token.split(".")[0]
    _refused(server, key_id + ".wrong-secret")
    for path in ("/healthz", "/readyz", "/metrics"):
        assert server.request("GET", path, token=None).status == 200, path


def test_every_api_route_needs_a_token(server: ServerProcess) -> None:
    """Generated from the server's own route table: a route added without the token check fails here."""
    paths = server.request("GET", "/openapi.json", token=None).json()["paths"]
    routes = [(method.upper(), path) for path, item in paths.items() for method in item]
    api = [(m, p) for m, p in routes if p.startswith("/api/")]
    assert len(api) >= 10
    for method, path in api:
        concrete = path.replace("{namespace}", "default").replace("{name}", "web")
        answer = server.request(method, concrete, "x", token=None)
        assert answer.status == 401, (method, path, answer.status)
    assert {p for _, p in routes if not p.startswith("/api/")} == {"/healthz", "/readyz", "/metrics"}


def test_a_revoked_token_is_401_from_then_on(server: ServerProcess) -> None:
    created = CliRunner().invoke(cli, ["user", "add", "ci"])
    assert created.exit_code == 0, created.output
    made = CliRunner().invoke(cli, ["token", "create", "--user", "ci", "--expires", "30d"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert server.request("GET", LIST, token=token).status == 200
    key_id = token.removeprefix("vsl_").split(".")[0]
    revoked = CliRunner().invoke(cli, ["token", "revoke", key_id])
    assert revoked.exit_code == 0, revoked.output
    _refused(server, token)
    assert server.request("GET", LIST).status == 200  # the admin's is untouched


def test_an_expired_token_is_401(server: ServerProcess, isolated_home: Path) -> None:
    store = Store.open()
    try:
        user = Accounts(store).user("admin")
        issued_long_ago = issue_token(
            store, user, time.time() - 3600, 60.0, actor="test"
        )  # expired 59 minutes ago
        fresh = issue_token(store, user, time.time(), 3600.0, actor="test")
    finally:
        store.close()
    _refused(server, issued_long_ago.token)
    assert server.request("GET", LIST, token=fresh.token).status == 200


def test_the_store_keeps_no_token_in_clear(server: ServerProcess, isolated_home: Path) -> None:
    secret = server.token.split(".", 1)[1]
    assert secret.encode() not in (isolated_home / "vessel.db").read_bytes()
    listed = CliRunner().invoke(cli, ["token", "list"])
    assert listed.exit_code == 0 and secret not in listed.stdout


def test_metrics_can_require_a_token(isolated_home: Path) -> None:
    proc = ServerProcess(isolated_home, admin_token(isolated_home)).start("--metrics-token")
    try:
        assert proc.request("GET", "/metrics", token=None).status == 401
        assert proc.request("GET", "/metrics").status == 200
        assert proc.request("GET", "/healthz", token=None).status == 200
    finally:
        proc.kill()


def test_the_first_admin_is_made_once(isolated_home: Path) -> None:
    from vessel.launcher import app as vessel

    made = CliRunner().invoke(vessel, ["server", "init", "--user", "root"])
    assert made.exit_code == 0, made.output
    assert made.stdout.strip().startswith("vsl_")
    again = CliRunner().invoke(vessel, ["server", "init", "--user", "other"])
    assert again.exit_code == 1
    assert "already has users" in again.output
