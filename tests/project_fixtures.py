"""A server with projects, for the permission tests: project `team` owns namespace `team` and may use
target `mem` only, with an owner, a developer and a viewer; project `other` owns namespace `other`
and has `nora`, who is no member of `team`. Each role gets a token; `admin` is the first admin."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from server_process import ServerProcess, admin_token, with_target
from vessel.controller.accounts import add_user, issue_token
from vessel.controller.projects import add_member, create_project
from vessel.store.store import Store

MEMBERS = {"olive": "owner", "dev": "developer", "vic": "viewer"}
ROLE_USER = {"owner": "olive", "developer": "dev", "viewer": "vic", "non-member": "nora"}
ROLES = ("admin", "owner", "developer", "viewer", "non-member")


def app_yaml(name: str, namespace: str = "team", target: str | None = None, gate: bool = False) -> str:
    lines = [
        "apiVersion: core.oam.dev/v1beta1",
        "kind: Application",
        f"metadata: {{name: {name}, namespace: {namespace}}}",
        "spec:",
        "  components:",
        f"    - {{name: {name}, type: webservice, properties: {{image: 'nginx:1'}}}}",
    ]
    if target or gate:
        lines += ["  workflow:", "    steps:"]
        lines += ["      - {name: approve, type: suspend}"] if gate else []
        cluster = f", cluster: {target}" if target else ""
        lines += [f"      - {{name: go, type: apply-component, properties: {{component: {name}{cluster}}}}}"]
    return "\n".join(lines) + "\n"


def prepare(home: Path, extra_users: tuple[str, ...] = ()) -> dict[str, str]:
    """The store under `home` set up as the module says, before the server starts; a token per role."""
    with_target(home, "mem", "memory")
    tokens = {"admin": admin_token(home)}
    store = Store.open(f"sqlite:///{home / 'vessel.db'}")
    try:
        now = time.time()
        for name in (*ROLE_USER.values(), *extra_users):
            user = add_user(store, name, now, actor="test")
            tokens[name] = issue_token(store, user, now, None, actor="test").token
        create_project(store, "team", ["team"], ["mem"], now, actor="test")
        create_project(store, "other", ["other"], [], now, actor="test")
        for user, role in MEMBERS.items():
            add_member(store, "team", user, role, now, actor="test")
        add_member(store, "other", "nora", "owner", now, actor="test")
    finally:
        store.close()
    return {role: tokens[ROLE_USER.get(role, role)] for role in ROLES} | tokens


@contextmanager
def started(home: Path, token: str) -> Iterator[ServerProcess]:
    proc = ServerProcess(home, token).start("--interval", "0.2")
    try:
        yield proc
    finally:
        proc.kill()


def status_only(server: ServerProcess, method: str, path: str, token: str, body: str | None = None) -> int:
    """The status of one request, without reading the body (an event stream never ends)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if body is not None and body.startswith("apiVersion"):
            headers["Content-Type"] = "application/yaml"
        conn.request(method, path, body=body, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()
