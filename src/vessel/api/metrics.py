"""`/metrics`: what a server does, in Prometheus' text format (prometheus-client).

Each server has its own registry (no process-global state, so tests can run several). Two kinds of
figures:

- counted as they happen, by this server: reconcile passes (`vessel_reconcile_pass_seconds`), deliveries
  (a run settling in this server's loop: `vessel_deliveries_total{project,result}` and how long from the
  run's start), changes (the first run of a new revision) by result and rollbacks (a run back to an older
  revision) as the delivery keys read them (controller/stats.py), lead time (a change's revision created
  → its application `running`), time to restore (`workflowFailed`/`unhealthy` → `running`), workflow
  steps finished by type and result with their duration, and errors of requests to targets by target and
  error class. Several servers sharing a store each count what they did: sum them.
- read from the store when scraped (the same for every server of one store, except leases): applications
  by phase, runs waiting (`suspended`: for a person or a timed suspension; `undriven`: executing with no
  live lease, i.e. waiting for a loop), the leases this server holds, how far the loop is behind its
  schedule, and the change failure rate over the last 30 days (as `vessel stats` computes it; read at
  most every `CFR_EVERY_S`).

Labels stay bounded: `project` is a project's name (projects are created by admins; "" for applications
in no project), `type` a step type (the platform's definitions decide them), `target` a registered
target (admins register them), `class` a Vessel error class (a fixed set in vessel/errors.py, "other"
beyond). No label names an application or a namespace — thousands of applications would make thousands
of series per histogram; per-application figures are `vessel stats NAME` (`GET /api/v1/stats?name=`).
"""

from __future__ import annotations

import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from vessel.controller.stats import delivery_keys, restored_after, settled_run
from vessel.errors import VesselError
from vessel.store.projects import Projects
from vessel.store.records import AppRecord, Phase, StepRecord
from vessel.store.run_census import run_census
from vessel.store.store import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SETTLED = {Phase.RUNNING: "succeeded", Phase.FAILED: "failed", Phase.TERMINATED: "terminated"}
DELIVERING = {Phase.RUNNING_WORKFLOW, Phase.SUSPENDING}
DELIVERY_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
LONG_BUCKETS = (1, 5, 15, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 86400, 7 * 86400)
STEP_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)
CFR_WINDOW_S = 30 * 86400.0
CFR_EVERY_S = 30.0
PROJECTS_EVERY_S = 10.0  # how long the namespace → project table is reused


class _ProjectOf:
    """namespace → project name ("" for none), read again at most every PROJECTS_EVERY_S."""

    def __init__(self, store: Store):
        self.store = store
        self._table: dict[str, str] = {}
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def __call__(self, namespace: str) -> str:
        with self._lock:
            if time.monotonic() - self._read_at > PROJECTS_EVERY_S:
                self._table = Projects(self.store).namespaces()
                self._read_at = time.monotonic()
            return self._table.get(namespace, "")


class _FromTheStore(Collector):
    """The figures read from the store at each scrape."""

    def __init__(self, metrics: Metrics):
        self.metrics = metrics
        self._cfr: tuple[float, float | None] = (float("-inf"), None)  # (read at, rate)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        m = self.metrics
        store, now = m.store, m.now()
        apps = GaugeMetricFamily("vessel_applications", "Applications by phase.", labels=["phase"])
        for phase, count in sorted(Tally(a.phase for a in store.apps()).items()):
            apps.add_metric([phase], count)
        yield apps
        census = run_census(store, m.owner, now)
        waiting = GaugeMetricFamily(
            "vessel_runs_waiting",
            "Unfinished runs waiting: suspended (for a person or a timed suspension), undriven (no loop "
            "holds their lease).",
            labels=["reason"],
        )
        waiting.add_metric(["suspended"], census.suspended)
        waiting.add_metric(["undriven"], census.undriven)
        yield waiting
        yield GaugeMetricFamily(
            "vessel_leases_held", "Runs this server drives now.", value=census.leases_held
        )
        yield GaugeMetricFamily(
            "vessel_reconcile_lag_seconds",
            "How far the controller loop is behind its schedule: time since its last pass ended, beyond "
            "the interval (0 while on time).",
            value=m.lag(),
        )
        rate = self._change_failure_rate(store, now)
        if rate is not None:
            yield GaugeMetricFamily(
                "vessel_change_failure_rate",
                "Changes over the last 30 days that failed, were terminated or were rolled back, over all "
                "changes (vessel stats).",
                value=rate,
            )

    def _change_failure_rate(self, store: Store, now: float) -> float | None:
        read_at, rate = self._cfr
        if time.monotonic() - read_at > CFR_EVERY_S:
            keys = delivery_keys(store, now, CFR_WINDOW_S)
            rate = keys["changeFailureRate"]
            self._cfr = (time.monotonic(), rate)
        return rate


class Metrics:
    def __init__(
        self, store: Store, owner: str = "", now: Callable[[], float] = time.time, interval: float = 2.0
    ):
        self.store = store
        self.owner = owner
        self.now = now
        self.interval = interval
        self.project_of = _ProjectOf(store)
        self._last_pass_end = time.monotonic()
        self.registry = CollectorRegistry()
        self.registry.register(_FromTheStore(self))
        r = self.registry
        self.passes = Counter(
            "vessel_reconcile_passes", "Reconcile passes over every application.", registry=r
        )
        self.pass_seconds = Histogram(
            "vessel_reconcile_pass_seconds", "How long a reconcile pass took.", registry=r
        )
        self.deliveries = Counter(
            "vessel_deliveries", "Workflow runs settled, by result.", ["project", "result"], registry=r
        )
        self.delivery_seconds = Histogram(
            "vessel_delivery_seconds",
            "From a run's start to its settling.",
            ["project", "result"],
            buckets=DELIVERY_BUCKETS,
            registry=r,
        )
        self.changes = Counter(
            "vessel_changes",
            "Changes (first runs of new revisions) settled, by result.",
            ["project", "result"],
            registry=r,
        )
        self.rollbacks = Counter(
            "vessel_rollbacks",
            "Runs back to an older revision, settled, by result.",
            ["project", "result"],
            registry=r,
        )
        self.lead_time = Histogram(
            "vessel_lead_time_seconds",
            "From a revision's creation to its application running (changes that succeeded).",
            ["project"],
            buckets=LONG_BUCKETS,
            registry=r,
        )
        self.time_to_restore = Histogram(
            "vessel_time_to_restore_seconds",
            "From an application turning workflowFailed or unhealthy to it running again.",
            ["project"],
            buckets=LONG_BUCKETS,
            registry=r,
        )
        self.step_seconds = Histogram(
            "vessel_workflow_step_seconds",
            "Workflow steps finished, by step type and result, and how long each ran.",
            ["type", "result"],
            buckets=STEP_BUCKETS,
            registry=r,
        )
        self.target_errors = Counter(
            "vessel_target_request_errors",
            "Requests to targets that failed, by target and error class.",
            ["target", "class"],
            registry=r,
        )

    # --- the controller loop -----------------------------------------------------------------------

    def reconciled(self, seconds: float) -> None:
        self.passes.inc()
        self.pass_seconds.observe(seconds)
        self._last_pass_end = time.monotonic()

    def lag(self) -> float:
        return max(0.0, time.monotonic() - self._last_pass_end - self.interval)

    def changed(self, before: str, after: AppRecord, started_at: float | None, now: float) -> None:
        """An application's phase changed in the loop: a delivery when its workflow just settled, a
        restore when it is running again after being broken."""
        project = self.project_of(after.namespace)
        if after.phase == Phase.RUNNING:  # from broken, or from a run a person started after it broke
            seconds = restored_after(self.store, after.id)
            if seconds is not None:
                self.time_to_restore.labels(project).observe(seconds)
        result = SETTLED.get(after.phase)
        if result is None or before not in DELIVERING:
            return
        self.deliveries.labels(project, result).inc()
        if started_at is not None:
            self.delivery_seconds.labels(project, result).observe(max(0.0, now - started_at))
        self._settled(after, project, now)

    def _settled(self, app: AppRecord, project: str, now: float) -> None:
        run = settled_run(self.store, app.id, now)
        if run is None:
            return
        if run.change:
            self.changes.labels(project, run.result).inc()
        if run.rollback:
            self.rollbacks.labels(project, run.result).inc()
        if run.lead_time is not None and app.phase == Phase.RUNNING:
            self.lead_time.labels(project).observe(run.lead_time)

    def step_done(self, record: StepRecord) -> None:
        if record.started_at is not None and record.finished_at is not None:
            seconds = max(0.0, record.finished_at - record.started_at)
            self.step_seconds.labels(record.type, record.phase).observe(seconds)

    def target_failed(self, target: str, exc: BaseException) -> None:
        kind = type(exc).__name__ if isinstance(exc, VesselError) else "other"
        self.target_errors.labels(target, kind).inc()

    def text(self) -> bytes:
        return generate_latest(self.registry)
