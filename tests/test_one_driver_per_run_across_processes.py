"""Two `vessel run` processes share one store; a lease decides which one drives the run. On a SQLite
file and on PostgreSQL:

- renewal: the driver keeps the lease through a pass longer than the lease (it renews before steps,
  and while each runs), so the other process never drives meanwhile;
- takeover: when the driver cannot renew its lease — frozen (SIGSTOP) in the middle of a step — the other
  process takes the run over once the lease expires and runs the step again; that process, the lease
  holder (found from the store, not from which process started first), is then SIGKILLed mid-step;
- lease lost: the old driver thaws (SIGCONT) and its long step returns while the dead holder's lease is
  still valid: it writes nothing more and starts no further step; once that lease expires it takes the
  run over and finishes.

The oracle is the webhook receiver: it logs every call with the process that made it (the peer socket's
owner, from /proc), and holds calls so that each of the above happens on evidence, not on a timer.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from vessel.controller.controller import Controller
from vessel.store.records import RunPhase, RunRecord, StepPhase
from vessel.store.store import Store
from vessel.targets.protocol import TargetInfo
from vessel.testing.engine import load_app

LEASE = 2.0  # seconds; VESSEL_LEASE_SECONDS of both runners
STEP = 0.25  # how long the receiver takes to answer a call in the renewal phase (< LEASE / 2 - slack)
STEPS = 12  # enough that a step after the held one is always left
APP = "\n".join(
    [
        "apiVersion: core.oam.dev/v1beta1",
        "kind: Application",
        "metadata: {name: relay}",
        "spec:",
        "  components:",
        '    - {name: api, type: webservice, properties: {image: "api:1"}}',
        "  workflow:",
        "    steps:",
        *[
            f'      - {{name: hook-{i}, type: webhook, properties: {{url: {{value: "URL/hook-{i}"}}}}}}'
            for i in range(1, STEPS + 1)
        ],
        "",
    ]
)


@dataclass
class Call:
    step: str
    pid: int  # the process that made the call
    at: float
    outcome: str = "in flight"
    verdict: queue.Queue[bool] = field(default_factory=queue.Queue)


class Receiver:
    """Logs each call with its caller's pid, posts it to `calls`, and holds it until answered or dropped."""

    def __init__(self, candidates: Callable[[], list[int]]) -> None:
        self.candidates = candidates
        self.log: list[Call] = []
        self.calls: queue.Queue[Call] = queue.Queue()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                client, server = self.connection.getpeername()[1], self.connection.getsockname()[1]
                pid = _peer_pid(client, server, receiver.candidates())
                call = Call(self.path.strip("/"), pid, time.time())
                receiver.log.append(call)
                receiver.calls.put(call)
                try:
                    answered = call.verdict.get(timeout=120)
                except queue.Empty:
                    answered = False
                call.outcome = "answered" if answered else "dropped"
                if answered:
                    self.send_response(200)
                    self.end_headers()

            def log_message(self, *_: Any) -> None:
                return None

        return Handler

    def next_call(self, timeout: float = 45.0) -> Call:
        try:
            return self.calls.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no webhook call for {timeout:g}s; calls so far: {self.log}") from None


def _peer_pid(client_port: int, server_port: int, candidates: list[int]) -> int:
    """Which of `candidates` owns the client end of the connection 127.0.0.1:client_port -> server_port."""
    inode = ""
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if int(local.split(":")[1], 16) == client_port and int(remote.split(":")[1], 16) == server_port:
                inode = fields[9]
    for pid in candidates:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except FileNotFoundError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return -1


class Runners:
    """The two `vessel run` processes, by pid."""

    def __init__(self, env: dict[str, str]) -> None:
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-m", "vessel", "run", "--interval", "0.1"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def kill(self, pid: int) -> None:
        proc = next(p for p in self.procs if p.pid == pid)
        proc.kill()
        proc.wait()

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)  # a frozen one must be able to handle SIGTERM
                proc.terminate()
                proc.wait(timeout=20)


@pytest.fixture
def receiver_and_runners(
    tmp_path: Path, store_url: str
) -> Iterator[tuple[Receiver, str, dict[str, str], list[Runners]]]:
    runners: list[Runners] = []
    r = Receiver(lambda: runners[0].pids() if runners else [])
    server = ThreadingHTTPServer(("127.0.0.1", 0), r.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "VESSEL_HOME": str(tmp_path / "home"),
        "VESSEL_DATABASE_URL": store_url,
        "VESSEL_LEASE_SECONDS": str(LEASE),
    }
    try:
        yield r, f"http://127.0.0.1:{server.server_address[1]}", env, runners
    finally:
        for each in runners:
            each.stop()
        for call in r.log:
            call.verdict.put(False)
        server.shutdown()
        server.server_close()


def _owner(pid: int) -> str:
    return f"{socket.gethostname()}-{pid}"  # how the controller names its lease owner


def _wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll the store until `check` holds: waiting on evidence, bounded in time."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout:g}s")
        time.sleep(0.05)


@pytest.mark.timeout(120)
def test_one_driver_renews_loses_and_hands_over_its_lease(
    tmp_path: Path, store_url: str, receiver_and_runners: tuple[Receiver, str, dict[str, str], list[Runners]]
) -> None:
    r, url, env, runners = receiver_and_runners
    (tmp_path / "app.yaml").write_text(APP.replace("URL", url))
    store = Store.open(store_url)
    try:
        out = {"path": str(tmp_path / "out")}
        store.add_target(TargetInfo("out", "directory", {}, out), default=True, now=time.time())
        app = Controller(store, owner="submitter").submit(load_app(str(tmp_path / "app.yaml"))).app

        def run() -> RunRecord:
            latest = store.latest_run(app.id)
            assert latest is not None
            return latest

        runners.append(Runners(env))

        # Renewal: whichever runner drives answers call after call; its pass outlives its first lease.
        first = r.next_call()
        driver = first.pid
        assert driver in runners[0].pids() and run().lease_owner == _owner(driver)
        other = next(pid for pid in runners[0].pids() if pid != driver)
        call = first
        while call.at <= first.at + LEASE:
            time.sleep(STEP)  # the step takes a while: the pass grows longer than the lease
            call.verdict.put(True)
            call = r.next_call()
            assert call.pid == driver, f"{call.step} was called by the other runner while the lease was held"
        lease = run()
        assert lease.lease_owner == _owner(driver)
        assert lease.lease_expires is not None and lease.lease_expires > call.at, "it drives on a stale lease"

        # The driver freezes in this step, so its lease expires: the other runner takes the run over and
        # runs the step again.
        held = call
        os.kill(driver, signal.SIGSTOP)
        takeover = r.next_call()
        assert (takeover.step, takeover.pid) == (held.step, other)

        # Kill the process holding the lease (per the store), mid-step, while its lease is still valid.
        assert run().lease_owner == _owner(other)
        runners[0].kill(other)
        takeover.verdict.put(False)

        # Lease lost: the old driver thaws and its step returns now; it must write nothing and start nothing.
        held.verdict.put(True)
        os.kill(driver, signal.SIGCONT)
        _wait_for("the old driver reporting its lost lease", lambda: _lease_lost(store, app.id, driver))
        record = store.steps(run().id)[held.step]
        assert (record.phase, record.attempts) == (StepPhase.RUNNING, 2), "the old driver wrote after losing"

        # Takeover: once the dead holder's lease expires, the survivor runs the step again and finishes.
        retry = r.next_call()
        assert (retry.step, retry.pid) == (held.step, driver)
        retry.verdict.put(True)
        later = [f"hook-{i}" for i in range(int(held.step.removeprefix("hook-")) + 1, STEPS + 1)]
        for step in later:
            call = r.next_call()
            assert (call.step, call.pid) == (step, driver)
            call.verdict.put(True)
        _wait_for("the run succeeding", lambda: run().phase == RunPhase.SUCCEEDED)
    finally:
        store.close()

    before = [f"hook-{i}" for i in range(1, int(held.step.removeprefix("hook-")))]
    assert [(c.step, c.pid, c.outcome) for c in r.log] == [
        *[(s, driver, "answered") for s in before],
        (held.step, driver, "answered"),
        (held.step, other, "dropped"),
        (held.step, driver, "answered"),
        *[(s, driver, "answered") for s in later],
    ]


def _lease_lost(store: Store, app_id: int, pid: int) -> bool:
    return any(e.reason == "LeaseLost" and _owner(pid) in e.message for e in store.events(app_id))
