"""A `vessel server` process for the benchmarks that time it through HTTP: a store prepared with a memory
target and a first admin, the server started on 127.0.0.1 and counted as up once `/healthz` answers. A
server that exits or stays silent stops the benchmark with `Failed`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from vessel.controller.accounts import first_admin
from vessel.store.store import Store
from vessel.targets.protocol import TargetInfo

UP_S = 60.0  # how long the server may take to answer /healthz


class Failed(Exception):
    """The work a benchmark timed did not succeed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def prepare(home: Path) -> str:
    """A store in `home` with the default target `mem` (memory); the first admin's token."""
    store = Store.open(f"sqlite:///{home / 'vessel.db'}")
    try:
        store.add_target(TargetInfo("mem", "memory", {}, {}), default=True, now=time.time())
        return first_admin(store, "bench", time.time(), actor="bench").token
    finally:
        store.close()


def start_server(home: Path, port: int, interval: str) -> subprocess.Popen[bytes]:
    """`vessel server` on the store in `home`, its output in home/server.log, once it answers."""
    env = {**os.environ, "VESSEL_HOME": str(home)}
    env.pop("VESSEL_DATABASE_URL", None)
    listen = f"127.0.0.1:{port}"
    command = [sys.executable, "-m", "vessel", "server", "--listen", listen, "--interval", interval]
    log = home / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}", proc, log)
    return proc


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path | None = None) -> None:
    deadline = time.monotonic() + UP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            said = f": {log.read_text()[-2000:]}" if log is not None else ""
            raise Failed(f"the server exited {proc.returncode}{said}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise Failed(f"the server did not answer /healthz within {UP_S:g} s")
