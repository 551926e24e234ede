"""`/metrics`: what a server does, in Prometheus' text format (prometheus-client).

Each server has its own registry (no process-global state, so tests can run several). Applications by
phase are counted from the store when scraped; the rest is counted as it happens: reconcile passes and
how long they take, and deliveries — a workflow run settling, by its result, with how long it took from
the run's start.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from vessel.store.records import AppRecord, Phase
from vessel.store.store import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SETTLED = {Phase.RUNNING: "succeeded", Phase.FAILED: "failed", Phase.TERMINATED: "terminated"}
DELIVERING = {Phase.RUNNING_WORKFLOW, Phase.SUSPENDING}
DELIVERY_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class _Applications(Collector):
    def __init__(self, apps: Callable[[], list[AppRecord]]):
        self.apps = apps

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("vessel_applications", "Applications by phase.", labels=["phase"])
        for phase, count in sorted(Tally(a.phase for a in self.apps()).items()):
            family.add_metric([phase], count)
        yield family


class Metrics:
    def __init__(self, store: Store):
        self.registry = CollectorRegistry()
        self.registry.register(_Applications(store.apps))
        self.passes = Counter(
            "vessel_reconcile_passes", "Reconcile passes over every application.", registry=self.registry
        )
        self.pass_seconds = Histogram(
            "vessel_reconcile_pass_seconds", "How long a reconcile pass took.", registry=self.registry
        )
        self.deliveries = Counter(
            "vessel_deliveries", "Workflow runs settled, by result.", ["result"], registry=self.registry
        )
        self.delivery_seconds = Histogram(
            "vessel_delivery_seconds",
            "From a run's start to its settling.",
            ["result"],
            buckets=DELIVERY_BUCKETS,
            registry=self.registry,
        )

    def reconciled(self, seconds: float) -> None:
        self.passes.inc()
        self.pass_seconds.observe(seconds)

    def changed(self, before: str, after: AppRecord, started_at: float | None, now: float) -> None:
        """An application's phase changed in the loop: a delivery when its workflow just settled."""
        result = SETTLED.get(after.phase)
        if result is None or before not in DELIVERING:
            return
        self.deliveries.labels(result).inc()
        if started_at is not None:
            self.delivery_seconds.labels(result).observe(max(0.0, now - started_at))

    def text(self) -> bytes:
        return generate_latest(self.registry)
