"""A store that fails mid-work — PostgreSQL cut away, PostgreSQL gone silent, the disk under SQLite full —
is waited out by whoever drives the workflow: it says "store unavailable, retrying in Ns", tries again
with backoff and goes on once the store is back. A store failure is never a step's failure; a step's
outcome is recorded once and a finished step never runs again; a step whose outcome could not be
recorded runs once more. A command that only reads fails within its timeouts, in one line, exit 2.

Every fault lands on evidence, never on a timer: the database is cut by the step itself while it runs,
or by the test when the receiver of a webhook holds that step's call; the link is cut at the very COMMIT
that records a step's result (`DatabaseLink.cut_at_commit`); it stalls as the read is sent
(`stall_at`); and the store comes back when the driver has said it is waiting. The database is a real
PostgreSQL 15 behind a TCP proxy of the test's (`vessel.testing.db_link`), and the full disk a real
tmpfs where this machine lets root mount one (`vessel.testing.full_disk`; else a fault at the SQLite
seam).
"""

from __future__ import annotations

import os
import queue
import signal
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

from vessel.errors import StoreOutageError, StoreUnavailableError
from vessel.store.records import RunPhase, StepPhase
from vessel.store.store import Store
from vessel.testing.db_link import DatabaseLink
from vessel.testing.engine import Harness
from vessel.testing.full_disk import SmallFilesystem, SqliteFullFault
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
QUICK = "connect_timeout=2"  # a refused or silent reconnect costs little in these tests


# --- faults ------------------------------------------------------------------------------------------


@dataclass
class Fault:
    """A store at `url` and a way to break it (`inject`) and mend it (`repair`)."""

    url: str
    inject: Callable[[], None]
    repair: Callable[[], None]
    attach: Callable[[Store], None] = lambda store: None  # for faults that live in the store's process


@pytest.fixture
def link(postgres_url: str) -> Iterator[tuple[DatabaseLink, str]]:
    """A real PostgreSQL database behind a link the test controls, and its URL through the link."""
    proxy, through = DatabaseLink.to(postgres_url)
    try:
        yield proxy, f"{through}?{QUICK}"
    finally:
        proxy.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallFilesystem | None]:
    """A tmpfs of 8 MiB for a SQLite store, or None where this machine does not let us mount one."""
    filesystem = SmallFilesystem.mount(tmp_path / "disk")
    yield filesystem
    if filesystem is not None:
        filesystem.unmount()


def _full_disk(small_disk: SmallFilesystem | None, tmp_path: Path) -> Fault:
    if small_disk is not None:
        return Fault(f"sqlite:///{small_disk.path / 'vessel.db'}", small_disk.fill, small_disk.free)
    faults: list[SqliteFullFault] = []
    return Fault(
        f"sqlite:///{tmp_path / 'vessel.db'}",
        lambda: faults[0].fill(),
        lambda: faults[0].free(),
        lambda store: faults.append(SqliteFullFault(store)),
    )


@pytest.fixture(params=["postgresql-cut", "sqlite-disk-full"])
def fault(request: pytest.FixtureRequest, tmp_path: Path) -> Fault:
    if request.param == "postgresql-cut":
        proxy, url = request.getfixturevalue("link")
        return Fault(url, proxy.cut, proxy.restore)
    return _full_disk(request.getfixturevalue("small_disk"), tmp_path)


def harness(url: str, fault: Fault | None = None) -> Harness:
    h = Harness.create(url)
    if fault is not None:
        fault.attach(h.store)
    return h


def install_probe(h: Harness, probe: Callable[[StepContext], Outcome]) -> None:
    h.controller.engine.step_functions = {**h.controller.engine.step_functions, "probe": probe}


def repair_when_waiting(h: Harness, repair: Callable[[], None]) -> list[str]:
    """What the driver says about the store; the store is mended once it says it waits for it."""
    notices: list[str] = []

    def notice(message: str) -> None:
        notices.append(message)
        if message.startswith("store unavailable"):
            repair()

    h.controller.outages.notice = notice
    return notices


def steps_of(h: Harness, app: str) -> dict[str, tuple[str, int]]:
    run = h.store.latest_run(h.record(app).id)
    assert run is not None
    assert run.phase == RunPhase.SUCCEEDED, run.message
    return {name: (r.phase, r.attempts) for name, r in h.store.steps(run.id).items()}


# --- in process: the engine on a real store ----------------------------------------------------------


def test_a_step_whose_result_could_not_be_recorded_runs_once_more_and_the_run_goes_on(fault: Fault) -> None:
    h = harness(fault.url, fault)
    calls: list[str] = []

    def probe(ctx: StepContext) -> Outcome:
        calls.append(ctx.step.name)
        if len(calls) == 1:
            fault.inject()  # the store fails while this step is provably in flight
        return Outcome.succeeded()

    install_probe(h, probe)
    notices = repair_when_waiting(h, fault.repair)
    h.up(PROBES)

    assert calls == ["first", "first", "second"], "the unrecorded step runs once more; no other again"
    assert steps_of(h, "probes") == {"first": (StepPhase.SUCCEEDED, 2), "second": (StepPhase.SUCCEEDED, 1)}
    assert notices[0].startswith("store unavailable, retrying in 1s: "), notices
    assert notices[-1].startswith("store available again"), notices
    h.store.close()


@pytest.mark.parametrize("committed", [True, False], ids=["saved", "not-saved"])
def test_a_result_whose_commit_was_cut_is_read_back_not_recorded_twice(
    link: tuple[DatabaseLink, str], committed: bool
) -> None:
    proxy, url = link
    h = harness(url)
    calls: list[str] = []
    cut: list[Any] = []

    def probe(ctx: StepContext) -> Outcome:
        calls.append(ctx.step.name)
        if len(calls) == 1:  # the connection drops at the COMMIT that records this step's success
            cut.append(proxy.cut_at_commit(b"UPDATE steps", committed=committed))
        return Outcome.succeeded()

    install_probe(h, probe)
    notices = repair_when_waiting(h, proxy.restore)
    h.up(PROBES)

    assert cut[0].wait(10), "the link was never cut at the step's COMMIT"
    assert "while committing" in notices[0], notices[0]  # either way, the driver cannot know
    if committed:  # saved, though the driver never heard so: read back, never run again
        assert calls == ["first", "second"]
        assert steps_of(h, "probes") == {"first": ("succeeded", 1), "second": ("succeeded", 1)}
    else:  # not saved: the step runs once more, and its outcome is recorded once
        assert calls == ["first", "first", "second"]
        assert steps_of(h, "probes") == {"first": ("succeeded", 2), "second": ("succeeded", 1)}
    h.store.close()


COMPONENT = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components: [{name: api, type: worker, properties: {image: "api:1"}}]
  workflow:
    steps: [{name: api, type: apply-component, properties: {component: api}}]
"""


def test_a_full_disk_under_a_deploys_inventory_write_is_not_the_steps_failure(
    small_disk: SmallFilesystem | None, tmp_path: Path
) -> None:
    disk = _full_disk(small_disk, tmp_path)
    h = harness(disk.url, disk)
    applies: list[str] = []

    target = h.targets["mem"]
    apply = target.apply

    def filling(manifest: dict[str, Any], **kwargs: Any) -> Any:
        result = apply(manifest, **kwargs)
        applies.append(manifest["metadata"]["name"])
        if len(applies) == 1:
            disk.inject()  # applied; the delivery records that next, on a full disk
        return result

    target.apply = filling  # type: ignore[method-assign]
    notices = repair_when_waiting(h, disk.repair)
    h.up(COMPONENT)

    assert any("database or disk is full" in n for n in notices), notices
    assert steps_of(h, "shop") == {"api": (StepPhase.SUCCEEDED, 2)}, "the store's failure failed the step"
    assert applies[:2] == ["api", "api"], "the step in flight is delivered once more"
    assert [e.state for e in h.store.inventory(h.record("shop").id)] == ["applied"]
    with h.store.engine.connect() as conn:  # nothing half-written
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    h.store.close()


def test_driving_gives_up_on_a_store_gone_longer_than_its_timeout(link: tuple[DatabaseLink, str]) -> None:
    proxy, url = link
    h = harness(url)
    install_probe(h, lambda ctx: Outcome.succeeded())
    record = h.submit(PROBES)
    notices: list[str] = []
    h.controller.outages.notice = notices.append
    proxy.cut()
    started = h.clock.now()
    gave_up = "lost the connection to PostgreSQL.*still unavailable after 60s of retrying"
    with pytest.raises(StoreOutageError, match=gave_up):
        h.controller.drive(record, timeout=60)
    assert h.clock.now() - started <= 60
    waits = [float(n.split("retrying in ")[1].split("s:")[0]) for n in notices]
    assert waits[:5] == [1, 2, 4, 8, 10] and max(waits) == 10, waits
    proxy.restore()
    h.store.close()


# --- through the real `vessel` command ------------------------------------------------------------------

HOOKS = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: hooks}}
spec:
  components: [{{name: api, type: worker, properties: {{image: "api:1"}}}}]
  workflow:
    steps:
      - {{name: hook-1, type: webhook, properties: {{url: {{value: "{url}/hook-1"}}, data: {{n: 1}}}}}}
      - {{name: hook-2, type: webhook, properties: {{url: {{value: "{url}/hook-2"}}, data: {{n: 2}}}}}}
"""
Events = queue.Queue[tuple[str, Any]]


@dataclass
class Call:
    """A webhook request the receiver holds until the test answers it."""

    step: str
    answered: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver() -> Iterator[tuple[Events, str]]:
    """An HTTP server that posts ("call", Call) for every request and answers only when told to."""
    events: Events = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            call = Call(self.path.strip("/"))
            events.put(("call", call))
            if call.answered.wait(60):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

        def log_message(self, *_: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield events, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Vessel:
    """A `vessel` command whose output lines ("line", text) and exit ("exited", code) are posted to
    `events` as they happen."""

    def __init__(self, env: dict[str, str], events: Events, *args: str):
        self.events = events
        self.output: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vessel", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            self.events.put(("line", line.rstrip("\n")))
        self.events.put(("exited", self.proc.wait()))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)


def next_event(events: Events, timeout: float = 40) -> tuple[str, Any]:
    try:
        return events.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"nothing happened for {timeout:g}s") from None


def deliver_through_an_outage(events: Events, fault: Fault, done: Callable[[str, Any], bool]) -> list[str]:
    """Answer every webhook call; break the store while hook-1's first call is in flight, mend it once
    the command says it is waiting for it; return the calls, in order, once `done(kind, what)`."""
    calls: list[str] = []
    broken = mended = False
    while True:
        kind, what = next_event(events)
        if kind == "call":
            calls.append(what.step)
            if not broken:
                fault.inject()  # hook-1 is in flight: its result will have nowhere to go
                broken = True
            what.answered.set()
        elif kind == "line" and "store unavailable, retrying in" in what and not mended:
            fault.repair()  # the command said it waits for the store: bring it back
            mended = True
        if done(kind, what):
            return calls
        assert kind != "exited", f"vessel exited ({what}) before the workflow finished"


def hooks_run(url: str) -> dict[str, tuple[str, int]]:
    store = Store.open(url)
    try:
        record = store.app("default", "hooks")
        assert record is not None
        run = store.latest_run(record.id)
        assert run is not None and run.phase == RunPhase.SUCCEEDED, run
        return {name: (r.phase, r.attempts) for name, r in store.steps(run.id).items()}
    finally:
        store.close()


@pytest.fixture(params=["up/postgresql-cut", "run/postgresql-cut", "up/sqlite-disk-full"])
def cli_fault(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Fault, str]:
    """(the command, the fault, the URL the test reads the store with, bypassing the fault)."""
    command, kind = request.param.split("/")
    if kind == "postgresql-cut":
        proxy, url = request.getfixturevalue("link")
        direct = request.getfixturevalue("postgres_url")
        return command, Fault(url, proxy.cut, proxy.restore), direct
    disk = request.getfixturevalue("small_disk")
    if disk is None:
        pytest.skip("this machine does not let us mount a small filesystem; see the in-process tests")
    url = f"sqlite:///{disk.path / 'vessel.db'}"
    return command, Fault(url, disk.fill, disk.free), url


@pytest.mark.timeout(120)
def test_vessel_up_and_run_wait_out_the_store_going_away_mid_step(
    cli_fault: tuple[str, Fault, str], receiver: tuple[Events, str], tmp_path: Path
) -> None:
    command, fault, direct = cli_fault
    events, url = receiver
    app = tmp_path / "hooks.yaml"
    app.write_text(HOOKS.format(url=url))
    env = {**os.environ, "VESSEL_HOME": str(tmp_path / "home"), "VESSEL_DATABASE_URL": fault.url}
    if command == "up":
        vessel = Vessel(env, events, "up", "-f", str(app))
        calls = deliver_through_an_outage(events, fault, lambda kind, what: kind == "exited")
        assert vessel.proc.returncode == 0, "".join(vessel.output)
    else:
        submitted = subprocess.run(
            [sys.executable, "-m", "vessel", "up", "--no-wait", "-f", str(app)],
            env=env,
            timeout=60,
            check=False,
        )
        assert submitted.returncode == 0
        vessel = Vessel(env, events, "run", "--interval", "0.2")
        calls = deliver_through_an_outage(events, fault, lambda kind, what: "-> running" in str(what))
        vessel.stop()
        while next_event(events)[0] != "exited":
            pass
        assert vessel.proc.returncode == 0, "".join(vessel.output)

    output = "".join(vessel.output)
    assert "Traceback" not in output, output
    assert "store unavailable, retrying in 1s: " in output, output
    assert calls == ["hook-1", "hook-1", "hook-2"], "hook-1's unrecorded call is made once more; none other"
    assert hooks_run(direct) == {"hook-1": ("succeeded", 2), "hook-2": ("succeeded", 1)}


@pytest.mark.timeout(60)
def test_a_read_against_a_database_gone_silent_fails_in_one_line_within_its_timeouts(
    link: tuple[DatabaseLink, str],
) -> None:
    proxy, url = link
    stalled = proxy.stall_at(b"FROM applications")  # the server never sees the read, nor answers it
    env = {**os.environ, "VESSEL_DATABASE_URL": f"{url}&statement_timeout=1"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "vessel", "status", "hooks"],
        env=env,
        capture_output=True,
        text=True,
        timeout=45,
        check=False,
    )
    assert stalled.is_set(), done.stderr
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "did not answer in time" in lines[0] and "statement_timeout" in lines[0], lines[0]
    assert time.monotonic() - started < 30


@pytest.mark.timeout(60)
def test_vessel_run_stops_at_once_on_sigterm_while_it_waits_for_the_store(
    link: tuple[DatabaseLink, str], tmp_path: Path
) -> None:
    proxy, url = link
    events: Events = queue.Queue()
    env = {**os.environ, "VESSEL_HOME": str(tmp_path / "home"), "VESSEL_DATABASE_URL": url}
    vessel = Vessel(env, events, "run", "--interval", "0.2")
    while "vessel run: reconciling" not in str(next_event(events)[1]):
        pass
    proxy.cut()
    while "store unavailable, retrying in" not in str(next_event(events)[1]):
        pass
    vessel.stop()
    stopped = time.monotonic()
    kind, code = next_event(events)
    while kind != "exited":
        kind, code = next_event(events)
    assert code == 0 and time.monotonic() - stopped < 5, "".join(vessel.output)
    assert "Traceback" not in "".join(vessel.output)


def test_a_statement_timeout_that_is_not_a_number_of_seconds_is_one_line(postgres_url: str) -> None:
    with pytest.raises(StoreUnavailableError, match=r"statement_timeout='soon' is not a number of seconds"):
        Store.open(f"{postgres_url}?statement_timeout=soon")
