"""A real `vessel server` process on 127.0.0.1 for tests, and a small HTTP client for it (stdlib only).

The port is a free one picked by the kernel; the server counts as up once `/healthz` answers, polled
until a deadline (a server that exits meanwhile fails at once, with its log). Every test that uses it
talks HTTP to a separate process, as a client would.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vessel.controller.accounts import first_admin
from vessel.store.store import Store

START_DEADLINE = 30.0  # seconds for the process to answer /healthz (imports, migrations)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    home: Path
    token: str = ""
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)  # more environment (VESSEL_DATABASE_URL, …)
    tls: ssl.SSLContext | None = None  # talk HTTPS, trusting what this context trusts
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.home / "server.log"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls is not None else 'http'}://127.0.0.1:{self.port}"

    def start(self, *args: str) -> ServerProcess:
        env = {**os.environ, "VESSEL_HOME": str(self.home)}
        env.pop("VESSEL_DATABASE_URL", None)
        env.update(self.env)
        command = [sys.executable, "-m", "vessel", "server", "--listen", f"127.0.0.1:{self.port}", *args]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            self._wait_until_up()
        except BaseException:
            self.kill()  # a server that did not come up is not left behind
            raise
        return self

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if self.request("GET", "/healthz", token=None).status == 200:
                    return
            except OSError:
                time.sleep(0.05)  # not listening yet: poll again
        raise AssertionError(f"server not up within {START_DEADLINE}s:\n{self.log.read_text()}")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | None = None,
        *,
        token: str | None = "default",
        content_type: str = "application/yaml",
        headers: dict[str, str] | None = None,
    ) -> Answer:
        headers = {"Content-Type": content_type, **(headers or {})}
        bearer = self.token if token == "default" else token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        data = body.encode() if isinstance(body, str) else body
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10, context=self.tls) as answer:
                return Answer(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read())

    def stop(self, timeout: float = 20.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def client_env(home: Path, url: str | None = None, token: str = "") -> dict[str, str]:
    """The environment of a `vessel` process started as from a shell: this one's, with `home` as its own
    VESSEL_HOME; given a server's `url`, through that server with `token`, else through no server."""
    env = {**os.environ, "VESSEL_HOME": str(home)}
    for name in ("VESSEL_SERVER", "VESSEL_TOKEN", "VESSEL_CONFIG"):
        env.pop(name, None)
    if url is not None:
        env.update(VESSEL_SERVER=url, VESSEL_TOKEN=token)
    return env


def run_vessel(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`vessel ARGS` as a process of its own, in `env`, given `stdin`; what it printed, as text."""
    return subprocess.run(
        [sys.executable, "-m", "vessel", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _url(home: Path, url: str | None) -> str:
    return url or f"sqlite:///{home / 'vessel.db'}"


def admin_token(home: Path, url: str | None = None) -> str:
    """Initialise the store (under `home`, or at `url`) with a first admin, as `vessel server init`
    does; its token."""
    store = Store.open(_url(home, url))
    try:
        return first_admin(store, "admin", time.time(), actor="test").token
    finally:
        store.close()


def wait_for(check: Any, what: str, deadline_s: float = 30.0) -> Any:
    """Poll `check()` until it returns something truthy; fail naming `what` past the deadline."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError(f"not within {deadline_s}s: {what}")


def with_target(
    home: Path, name: str, type_: str, config: dict[str, Any] | None = None, url: str | None = None
) -> None:
    """Register a default target in the store (under `home`, or at `url`) before the server starts."""
    from vessel.targets.protocol import TargetInfo

    store = Store.open(_url(home, url))
    try:
        store.add_target(TargetInfo(name, type_, {}, config or {}), default=True, now=time.time())
    finally:
        store.close()
