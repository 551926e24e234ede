"""Crash safety with real process kills: `vessel up` is SIGKILLed at random points of a run, again and
again; every time the next process picks the run up. A step that finished is never executed again, the
step in flight keeps its idempotency key, and the run reaches the same end state as an undisturbed one."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from vessel.store.records import StepPhase
from vessel.store.store import Store

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - {{name: api, type: webservice, properties: {{image: "api:1"}}}}
    - {{name: worker, type: worker, properties: {{image: "worker:1"}}}}
  workflow:
    steps:
      - {{name: hook-1, type: webhook, properties: {{url: {{value: "{url}/hook-1"}}, data: {{n: 1}}}}}}
      - {{name: api, type: apply-component, properties: {{component: api}}}}
      - {{name: hook-2, type: webhook, properties: {{url: {{value: "{url}/hook-2"}}, data: {{n: 2}}}}}}
      - name: group
        type: step-group
        subSteps:
          - {{name: hook-3, type: webhook, properties: {{url: {{value: "{url}/hook-3"}}, data: {{n: 3}}}}}}
          - {{name: worker, type: apply-component, properties: {{component: worker}}}}
      - {{name: hook-4, type: webhook, properties: {{url: {{value: "{url}/hook-4"}}, data: {{n: 4}}}}}}
      - {{name: hook-5, type: webhook, properties: {{url: {{value: "{url}/hook-5"}}, data: {{n: 5}}}}}}
      - {{name: hook-6, type: webhook, properties: {{url: {{value: "{url}/hook-6"}}, data: {{n: 6}}}}}}
"""
HOOKS = ("hook-1", "hook-2", "hook-3", "hook-4", "hook-5", "hook-6")


class Witness:
    """A webhook receiver that checks, on every call, that the step has not already finished."""

    def __init__(self, store_url: str):
        self.store_url = store_url
        self.calls: list[tuple[str, str]] = []
        self.violations: list[str] = []
        self.succeeded: set[str] = set()
        self.lock = threading.Lock()

    def finished(self, step: str) -> bool:
        """Whether `step` was ever seen succeeded (remembered: a buggy engine could reset the record)."""
        store = Store(sqlalchemy.create_engine(self.store_url))
        try:
            app = store.app("default", "shop")
            run = store.latest_run(app.id) if app else None
            records = store.steps(run.id) if run else {}
        finally:
            store.engine.dispose()
        self.succeeded |= {name for name, r in records.items() if r.phase == StepPhase.SUCCEEDED}
        return step in self.succeeded

    def handler(self) -> type[BaseHTTPRequestHandler]:
        witness = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                step = self.path.strip("/")
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with witness.lock:
                    if witness.finished(step):
                        witness.violations.append(f"{step} ran again after it had succeeded")
                    witness.calls.append((step, self.headers.get("Idempotency-Key", "")))
                time.sleep(0.35)  # a slow receiver: kills land while steps are in flight
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_: Any) -> None:
                return None

        return Handler


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[tuple[Witness, str]]:
    w = Witness(f"sqlite:///{tmp_path / 'home' / 'vessel.db'}")
    server = ThreadingHTTPServer(("127.0.0.1", 0), w.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield w, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def vessel(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    log = open(Path(env["VESSEL_HOME"]).parent / "vessel.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "vessel", *args], env=env, stdout=log, stderr=log)


def test_sigkill_at_random_points_never_reruns_finished_steps(
    tmp_path: Path, witness: tuple[Witness, str]
) -> None:
    w, url = witness
    env = {**os.environ, "VESSEL_HOME": str(tmp_path / "home"), "VESSEL_LEASE_SECONDS": "0.5"}
    env.pop("VESSEL_DATABASE_URL", None)
    app = tmp_path / "app.yaml"
    app.write_text(APP.format(url=url))
    out = tmp_path / "out"
    assert (
        vessel(env, "target", "add", "out", "--type", "directory", "--path", str(out), "--default").wait()
        == 0
    )

    rng = random.Random(20261122)
    kills = 0
    for _ in range(16):
        proc = vessel(env, "up", "-f", str(app))
        try:
            proc.wait(timeout=rng.uniform(1.0, 1.8))
            break  # it finished before the kill: the run is complete
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
    assert kills >= 3, "the kills must actually interrupt runs for this test to mean anything"
    assert vessel(env, "up", "-f", str(app)).wait(timeout=60) == 0

    assert w.violations == []
    assert {step for step, _ in w.calls} == set(HOOKS)
    keys: dict[str, set[str]] = {}
    for step, key in w.calls:
        keys.setdefault(step, set()).add(key)
    assert all(len(k) == 1 for k in keys.values()), f"idempotency keys changed across crashes: {keys}"
    assert len(w.calls) <= len(HOOKS) + kills  # at most one re-execution per crash
    status = subprocess.run(
        [sys.executable, "-m", "vessel", "status", "shop", "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(status.stdout)
    assert doc["phase"] == "running" and doc["workflow"]["phase"] == "succeeded"
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.yaml"))
    assert files == ["default/deployment.apps/api.yaml", "default/deployment.apps/worker.yaml"]
