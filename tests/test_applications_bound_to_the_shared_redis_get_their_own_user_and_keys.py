"""The built-in `redis` addon runs one real redis-server on the local target, and each application bound
to it with the `uses` trait gets its own ACL user and key prefix: REDIS_URL credentials that work on its
own keys and are refused another's, a password never shown, keys and user kept on delete unless the
binding says `onDelete: drop`, and data that outlives a restart of the server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from shared_services import bound_app, ok, reachable_home, secret, vessel
from vessel.targets.local.redis.instance import instance
from vessel.targets.local.redis.resp import Connection, RedisError

__all__ = ["reachable_home"]

pytestmark = [pytest.mark.timeout(180), pytest.mark.parametrize("reachable_home", ["redis"], indirect=True)]


def as_app(app: str) -> Connection:
    """A connection authenticated with the credentials in the app's REDIS_URL."""
    url = urlsplit(secret(app, "REDIS_URL", "redis"))
    assert url.hostname and url.port and url.username and url.password
    conn = Connection(url.hostname, url.port)
    conn.call("AUTH", url.username, unquote(url.password))
    return conn


def seen(app: str) -> str | None:
    with as_app(app) as conn:
        return conn.call("GET", f"default_{app}:seen")  # type: ignore[no-any-return]


def admin(*command: str) -> object:
    with instance().admin() as conn:
        return conn.call(*command)


def deliver_two(home: Path, on_delete_b: str = "keep") -> None:
    ok("addon", "enable", "redis")
    ok("up", "-f", str(bound_app(home, "a", addon="redis")))
    ok("up", "-f", str(bound_app(home, "b", addon="redis", on_delete=on_delete_b)))


def test_each_bound_application_writes_its_own_keys_through_its_redis_url(reachable_home: Path) -> None:
    deliver_two(reachable_home)
    assert seen("a") == "default_a"  # each process wrote through the credentials injected into its env
    assert seen("b") == "default_b"


def test_one_applications_credentials_cannot_read_another_applications_keys(reachable_home: Path) -> None:
    deliver_two(reachable_home)
    with as_app("a") as conn, pytest.raises(RedisError, match="NOPERM"):
        conn.call("GET", "default_b:seen")
    with as_app("a") as conn, pytest.raises(RedisError, match="NOPERM"):
        conn.call("FLUSHALL")


def test_the_password_never_appears_in_output_status_or_events(reachable_home: Path) -> None:
    said = [vessel("addon", "enable", "redis").output]
    said.append(vessel("up", "-f", str(bound_app(reachable_home, "a", addon="redis"))).output)
    password = secret("a", "REDIS_PASSWORD", "redis")
    assert seen("a") == "default_a"
    for command in (["status", "a", "-o", "json"], ["events", "a"], ["logs", "a"]):
        done = subprocess.run([sys.executable, "-m", "vessel", *command], capture_output=True, text=True)
        said.append(done.stdout + done.stderr)
    assert "password ***" in said[-1]
    assert not [text for text in said if password in text]
    assert password.encode() not in (reachable_home / "vessel.db").read_bytes()


def test_deleting_keeps_the_keys_unless_the_binding_says_drop(reachable_home: Path) -> None:
    deliver_two(reachable_home, on_delete_b="drop")
    ok("delete", "a", "--yes")
    ok("delete", "b", "--yes")
    users = admin("ACL", "USERS")
    assert isinstance(users, list) and "default_a" in users and "default_b" not in users
    assert admin("EXISTS", "default_b:seen") == 0
    assert seen("a") == "default_a"  # kept, and its credentials still open it


def test_keys_and_users_outlive_a_restart_of_the_server(reachable_home: Path) -> None:
    ok("addon", "enable", "redis")
    ok("up", "-f", str(bound_app(reachable_home, "a", addon="redis")))
    password = secret("a", "REDIS_PASSWORD", "redis")
    ok("addon", "disable", "redis", "--force")
    with pytest.raises(OSError):
        seen("a")
    ok("addon", "enable", "redis")
    assert seen("a") == "default_a"  # the same port, the saved ACL user, the append-only file
    ok("up", "-f", str(bound_app(reachable_home, "a", addon="redis", extra_env="2")))  # applied again
    assert secret("a", "REDIS_PASSWORD", "redis") == password


def test_disabling_the_addon_is_refused_while_an_application_is_bound_to_it(reachable_home: Path) -> None:
    ok("addon", "enable", "redis")
    ok("up", "-f", str(bound_app(reachable_home, "a", addon="redis")))
    refused = vessel("addon", "disable", "redis")
    assert refused.exit_code != 0 and "default/a" in refused.output, refused.output
    assert seen("a") == "default_a"  # still serving
    ok("delete", "a", "--yes")
    ok("addon", "disable", "redis")
