"""Crash safety: a step that finished is never executed again, the step in flight runs again (with the
same idempotency key and its attempt counted), and the run ends as an undisturbed one would.

First in process, on both stores: a step type of the test's own makes the process "die" (ProcessKilled)
at the two moments the guarantee hangs on, and a restarted controller carries on. Then with real
process kills: `vessel up` is SIGKILLed again and again, each time at a point chosen on evidence, and
each time the next `vessel up` picks the run up.

The kills land where they matter, whatever the machine's load: while a webhook call is in flight (the
receiver holds the request until the caller is dead), right after a step's success is committed, and
right after a step's `running` mark is committed but before it executes (`kill_points`). The oracle is
the webhook receiver's own log — every call, and whether it was answered or its caller died waiting —
against which the store's step records are checked at the end.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kill_points import Events, StopAt, VesselProcess, next_event, register_directory_target
from vessel.store.records import StepPhase, StepRecord
from vessel.store.store import Store
from vessel.testing.engine import Harness, ProcessKilled
from vessel.workflow.step_api import Outcome, StepContext

PROBES = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: probes}
spec:
  components: [{name: api, type: worker, properties: {image: "api:1"}}]
  workflow:
    steps: [{name: first, type: probe}, {name: second, type: probe}]
"""


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def _install_probe(h: Harness, probe: Any) -> None:
    """Register the step type `probe` (a plugin step, as far as the engine knows)."""
    h.controller.engine.step_functions = {**h.controller.engine.step_functions, "probe": probe}


def test_a_finished_steps_success_is_committed_before_the_next_step_starts(h: Harness) -> None:
    calls: list[str] = []

    def probe(ctx: StepContext) -> Outcome:
        calls.append(ctx.step.name)
        if calls == ["first", "second"]:
            raise ProcessKilled  # dies while `second` runs, after `first` succeeded
        return Outcome.succeeded()

    _install_probe(h, probe)
    with pytest.raises(ProcessKilled):
        h.up(PROBES)
    h.restart().drive(h.record("probes"))
    assert calls == ["first", "second", "second"]
    run = h.store.latest_run(h.record("probes").id)
    assert run is not None and run.phase == "succeeded"


def test_a_steps_running_mark_is_committed_before_it_executes(h: Harness) -> None:
    seen: list[tuple[int, str, StepRecord]] = []  # (ctx.attempt, ctx.idempotency_key, the stored record)

    def probe(ctx: StepContext) -> Outcome:
        seen.append((ctx.attempt, ctx.idempotency_key, h.store.steps(ctx.run_id)[ctx.step.name]))
        if len(seen) == 1:
            raise ProcessKilled  # dies in the middle of `first`
        return Outcome.succeeded()

    _install_probe(h, probe)
    start = h.clock.now()
    with pytest.raises(ProcessKilled):
        h.up(PROBES)
    h.restart().drive(h.record("probes"))
    (attempt_1, key_1, during_1), (attempt_2, key_2, during_2), _ = seen
    assert (during_1.phase, during_1.attempts, during_1.started_at) == (StepPhase.RUNNING, 1, start)
    assert (attempt_1, attempt_2, during_2.attempts) == (1, 2, 2), "the attempt in flight was not counted"
    assert during_2.started_at == start, "a timeout counts from the first start, across crashes"
    assert key_1 == key_2


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


def _saved(step: str, phase: str) -> StopAt:
    """Right after the store committed `step`'s record in `phase` (Store.save_step(self, run_id, record))."""
    return StopAt(
        "vessel.store.store:Store.save_step", f"args[2].name == {step!r} and args[2].phase == {phase!r}"
    )


def _started(step: str) -> StopAt:
    """Right after the store committed `step` as running (Store.start_step(self, run_id, record))."""
    return StopAt("vessel.store.store:Store.start_step", f"args[2].name == {step!r}")


IN_FLIGHT = "in flight"
KILLS: list[str | StopAt] = [  # where each `vessel up` dies, in order; one more then finishes the run
    "hook-1",  # its webhook call is in flight
    _saved("hook-2", StepPhase.SUCCEEDED),  # its call was answered and its success committed
    _started("hook-3"),  # marked running (attempt 1), not yet called
    "hook-4",  # in flight: the first step after the group
    "hook-6",  # in flight: the last step
]
# What the receiver must have seen, in order: (step, how the call ended).
EXPECTED_CALLS = [
    ("hook-1", "dropped"), ("hook-1", "answered"), ("hook-2", "answered"), ("hook-3", "answered"),
    ("hook-4", "dropped"), ("hook-4", "answered"), ("hook-5", "answered"), ("hook-6", "dropped"),
    ("hook-6", "answered"),
]  # fmt: skip
# Attempts the store must count: one per call, plus the kill between hook-3's running mark and its call.
EXPECTED_ATTEMPTS = {"hook-1": 2, "hook-2": 1, "hook-3": 2, "hook-4": 2, "hook-5": 1, "hook-6": 2}


@dataclass
class Call:
    """One webhook request as the receiver saw it; the test decides whether it is answered."""

    step: str
    key: str
    outcome: str = IN_FLIGHT  # then "answered", or "dropped" when its caller was killed waiting
    verdict: queue.Queue[bool] = field(default_factory=queue.Queue)

    def answer(self) -> None:
        self.verdict.put(True)

    def drop(self) -> None:
        self.verdict.put(False)


class Receiver:
    """Logs every call and posts it as ("call", Call) to the current round's events, then holds it until
    the test answers or drops it — so a kill can be aimed at a call in flight."""

    def __init__(self) -> None:
        self.log: list[Call] = []
        self.events: Events = queue.Queue()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                call = Call(self.path.strip("/"), self.headers.get("Idempotency-Key", ""))
                receiver.log.append(call)
                receiver.events.put(("call", call))
                try:
                    answered = call.verdict.get(timeout=120)
                except queue.Empty:
                    answered = False
                call.outcome = "answered" if answered else "dropped"
                if answered:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b"{}")

            def log_message(self, *_: Any) -> None:
                return None

        return Handler


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    r = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), r.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield r, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _round(env: dict[str, str], app: Path, receiver: Receiver, kill: str | StopAt | None) -> int | None:
    """One `vessel up`: answer its calls until it reaches `kill` (then SIGKILL it), or until it exits."""
    events: Events = queue.Queue()
    receiver.events = events
    up = VesselProcess(env, ("up", "-f", str(app)), events, kill if isinstance(kill, StopAt) else None)
    while True:
        kind, what = next_event(events)
        if kind == "exited":
            assert kill is None, f"vessel up exited ({what}) before it could be killed at {kill}"
            return int(what)
        if kind == "stopped":
            up.kill()
            return None
        if what.step == kill:  # the caller is waiting for this answer: kill it mid-step
            up.kill()
            what.drop()
            return None
        what.answer()


@pytest.mark.timeout(180)
def test_sigkill_at_chosen_points_never_reruns_finished_steps(
    tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    r, url = receiver
    home, out, app = tmp_path / "home", tmp_path / "out", tmp_path / "app.yaml"
    env = {**os.environ, "VESSEL_HOME": str(home), "VESSEL_LEASE_SECONDS": "0.5"}
    env.pop("VESSEL_DATABASE_URL", None)
    register_directory_target(home, out)
    app.write_text(APP.format(url=url))

    for kill in KILLS:
        assert _round(env, app, r, kill) is None
    assert _round(env, app, r, None) == 0  # the last `vessel up` finishes the run

    # The receiver's log is the oracle: every kill in flight was followed by one more call of that step,
    # and no step was called again once it had been answered and its success committed.
    assert [(c.step, c.outcome) for c in r.log] == EXPECTED_CALLS
    keys = {step: {c.key for c in r.log if c.step == step} for step, _ in EXPECTED_CALLS}
    assert all(len(k) == 1 for k in keys.values()), f"idempotency keys changed across crashes: {keys}"

    store = Store.open(f"sqlite:///{home / 'vessel.db'}")
    try:
        shop = store.app("default", "shop")
        assert shop is not None
        run = store.latest_run(shop.id)
        assert run is not None and run.phase == "succeeded"
        records = store.steps(run.id)
    finally:
        store.close()
    assert {name: rec.phase for name, rec in records.items()} == dict.fromkeys(records, StepPhase.SUCCEEDED)
    assert {name: records[name].attempts for name in EXPECTED_ATTEMPTS} == EXPECTED_ATTEMPTS
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.yaml"))
    assert files == ["default/deployment.apps/api.yaml", "default/deployment.apps/worker.yaml"]
