"""What the Kubernetes renderings of the `redis` addon run works, with this machine's `redis-server` and
`redis-cli` in place of the `redis:7` image's: the StatefulSet's start script (its data directory moved
from /data to a temporary one, and a free port added — the only edits) starts a server whose `default`
user is off and whose `vessel-admin` has the admin Secret's password; the binding Job's script, as
rendered and with the Job's env, gives each component of an application an ACL user limited to the
application's key prefix and no dangerous command; running it again changes nothing; and what it made
survives a restart (ACL SAVE into the ACL file on the data volume)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from vessel.addons.catalog import BUILTIN
from vessel.definitions import build_registry, load_path
from vessel.model import parse_application, read_text
from vessel.render import ClusterVersion, RenderOptions, render_application, resources

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server (scripts/setup.sh)"),
]
ADMIN = secrets.token_urlsafe(24)


def rendered(app: dict[str, Any], addons: tuple[str, ...]) -> list[dict[str, Any]]:
    documents = [doc for a in addons for doc in load_path(Path(BUILTIN.location) / a / "definitions")]
    registry = build_registry(documents=documents, plugins=False)
    text = yaml.safe_dump({"apiVersion": "core.oam.dev/v1beta1", "kind": "Application", **app})
    options = RenderOptions(target_type="kubernetes", target="k", cluster_version=ClusterVersion("1", "31"))
    return [
        r.body
        for r in resources(
            render_application(parse_application(read_text(text, "a.yaml")[0]), registry, options)
        )
    ]


def container(obj: dict[str, Any]) -> dict[str, Any]:
    (only,) = obj["spec"]["template"]["spec"]["containers"]
    return dict(only)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(port: int, user: str, password: str, *command: str) -> str:
    env = {"PATH": os.environ["PATH"], "REDISCLI_AUTH": password}
    args = ["redis-cli", "-p", str(port), "--user", user, "--no-auth-warning", *command]
    return subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=10, check=True
    ).stdout.strip()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, Any]]:
    """The StatefulSet's start script, run here; restartable."""
    (sts, *_) = rendered(
        {
            "metadata": {"name": "addon-redis", "namespace": "vessel-system"},
            "spec": {"components": [{"name": "redis", "type": "redis-server"}]},
        },
        ("redis",),
    )
    script = container(sts)["command"][2]
    port = free_port()
    script = script.replace("/data", str(tmp_path)).replace(
        "exec redis-server", f"exec redis-server --port {port} --bind 127.0.0.1"
    )
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        env = {"PATH": os.environ["PATH"], "ADMIN_PASSWORD": ADMIN}
        procs.append(
            subprocess.Popen(
                ["sh", "-c", script], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if cli(port, "vessel-admin", ADMIN, "PING") == "PONG":
                    return
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.1)
        raise AssertionError("redis-server did not answer PING as vessel-admin")

    def stop() -> None:
        procs[-1].terminate()
        procs[-1].wait(10)

    start()
    yield port, (start, stop)
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def run_job(job: dict[str, Any], port: int, password: str) -> None:
    env = {e["name"]: e["value"] for e in container(job)["env"] if "value" in e}
    env |= {
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(port),
        "REDISCLI_AUTH": ADMIN,
        "APP_PASSWORD": password,
    }
    done = subprocess.run(
        container(job)["command"],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr


def jobs(app: str, components: list[str], on_delete: str = "keep") -> list[dict[str, Any]]:
    bound = {"type": "uses", "properties": {"addon": "redis", "onDelete": on_delete}}
    spec = {
        "components": [
            {"name": c, "type": "webservice", "properties": {"image": "x"}, "traits": [bound]}
            for c in components
        ]
    }
    made = rendered({"metadata": {"name": app, "namespace": "ns"}, "spec": spec}, ("bindings", "redis"))
    return [m for m in made if m["kind"] == "Job"]


def test_each_component_gets_a_user_limited_to_its_applications_prefix(server: tuple[int, Any]) -> None:
    port, (start, stop) = server
    anonymous = subprocess.run(
        ["redis-cli", "-p", str(port), "SET", "x", "1"], capture_output=True, text=True, timeout=10
    )
    assert "NOAUTH" in anonymous.stdout + anonymous.stderr  # the default user is off
    web, worker = jobs("shop", ["web", "worker"])
    (api,) = jobs("blog", ["api"])
    passwords = {
        "web": secrets.token_urlsafe(24),
        "worker": secrets.token_urlsafe(24),
        "api": secrets.token_urlsafe(24),
    }
    for job, who in ((web, "web"), (worker, "worker"), (api, "api"), (web, "web")):
        run_job(job, port, passwords[who])

    assert cli(port, "ns_shop_web", passwords["web"], "SET", "ns_shop:order:1", "teapot") == "OK"
    assert cli(port, "ns_shop_worker", passwords["worker"], "GET", "ns_shop:order:1") == "teapot"
    assert "NOPERM" in cli(port, "ns_blog_api", passwords["api"], "GET", "ns_shop:order:1")
    assert "NOPERM" in cli(port, "ns_shop_web", passwords["web"], "CONFIG", "GET", "dir")
    assert "NOAUTH" in cli(port, "ns_shop_web", passwords["api"], "PING")  # another password: refused

    stop()
    start()  # the ACL file on the data volume kept the users
    assert cli(port, "ns_shop_worker", passwords["worker"], "GET", "ns_shop:order:1") == "teapot"


def test_dropping_removes_a_user_and_the_last_one_takes_the_keys(server: tuple[int, Any]) -> None:
    port, _ = server
    web, worker = jobs("shop", ["web", "worker"], on_delete="drop")
    (api,) = jobs("blog", ["api"])
    passwords = {
        "web": secrets.token_urlsafe(24),
        "worker": secrets.token_urlsafe(24),
        "api": secrets.token_urlsafe(24),
    }
    for job, who in ((web, "web"), (worker, "worker"), (api, "api")):
        run_job(job, port, passwords[who])
    for n in range(3):
        assert cli(port, "ns_shop_web", passwords["web"], "SET", f"ns_shop:order:{n}", "teapot") == "OK"
    assert cli(port, "ns_blog_api", passwords["api"], "SET", "ns_blog:post", "hello") == "OK"

    def drop(job: dict[str, Any]) -> dict[str, Any]:
        hook: dict[str, Any] = json.loads(job["metadata"]["annotations"]["hooks.vessel.dev/before-delete"])
        return hook

    run_job(drop(web), port, "")  # the web lets go; the worker still binds: keys kept
    assert "NOAUTH" in cli(port, "ns_shop_web", passwords["web"], "PING")
    assert cli(port, "ns_shop_worker", passwords["worker"], "GET", "ns_shop:order:2") == "teapot"
    run_job(drop(worker), port, "")  # the last one: the prefix's keys go, another application's stay
    assert cli(port, "vessel-admin", ADMIN, "KEYS", "*") == "ns_blog:post"
    run_job(drop(worker), port, "")  # again: nothing left, no error
