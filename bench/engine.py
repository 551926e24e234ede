"""Engine throughput and the cost of the steady state on the in-memory target, with a real store.

    .venv/bin/python bench/engine.py [--apps 1000] [--steady 10000] [--url sqlite:///... | postgresql+psycopg://...]

Delivers `--apps` applications (3 components, 4 objects each: submit, revision, workflow run, apply,
health), timed; then more, untimed, up to `--steady`; then reconciles them all:

- one settling pass (the first after delivery judges every application and records the live versions
  of its objects), then a timed warm pass, as a long-running controller makes them;
- a timed first pass of a new controller on the same store and targets, with the process-wide caches
  emptied: what a restarted process pays;
- a pass of a controller that built its definitions from the store, as `vessel server` does: it also
  reads the enabled addons' generation once per pass (server_statements_per_pass).

Each application has a namespace of its own: applications sharing one would render the same object
names and all but the first would fail (they must not overwrite each other's objects). The benchmark
checks that the work it timed succeeded — every application `running` after every pass, and every
object of every application present in the target — and exits non-zero otherwise. KubeVela's
published sizing is 0.5 core and 1 GiB for 3,000 applications.

The last line is one JSON object: apps, running, objects, deliver_s, deliver_cpu_s, apps_per_s,
pass_s, pass_cpu_s, first_pass_s, first_pass_cpu_s, writes_per_pass, statements_per_pass,
first_pass_writes, first_pass_statements, server_statements_per_pass, changing_applies_per_pass,
rss_after_delivery_mib, rss_after_passes_mib, rss_peak_delivery_mib (the largest so far once delivery
finished), rss_peak_mib (the largest of the whole run), store.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from vessel.addons.installed import addon_definitions
from vessel.controller import revisions
from vessel.controller.controller import Controller
from vessel.definitions.registry import build_registry
from vessel.store.records import Phase
from vessel.testing.engine import Harness
from vessel.testing.sample_app import OBJECTS_PER_APP, sample_app


class BenchmarkFailed(Exception):
    """The work the benchmark timed did not succeed: its figures would mean nothing."""


def deliver(h: Harness, first: int, count: int) -> None:
    for i in range(first, first + count):
        app = h.controller.drive(h.submit(sample_app(i)))
        if app.phase != Phase.RUNNING:
            raise BenchmarkFailed(f"app-{i} was delivered as {app.phase}: {app.message}")


def timed_pass(h: Harness) -> dict[str, Any]:
    """One reconcile pass over every application, which must leave every one running."""
    statements, writes = h.store.statements, h.store.writes
    changes = h.targets["mem"].counters.changing_applies
    start, cpu = time.perf_counter(), time.process_time()
    passed = h.controller.reconcile_all()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    failed = [f"{a.name}: {a.phase} {a.message}" for a in passed if a.phase != Phase.RUNNING]
    if failed:
        raise BenchmarkFailed(f"{len(failed)} of {len(passed)} applications not running, e.g. {failed[0]}")
    return {
        "s": wall,
        "cpu_s": cpu,
        "statements": h.store.statements - statements,
        "writes": h.store.writes - writes,
        "changing_applies": h.targets["mem"].counters.changing_applies - changes,
        "running": len(passed),
    }


def served(h: Harness) -> dict[str, Any]:
    """A warm pass of a controller whose definitions come from the store, built as a server builds them."""
    h.controller.close()
    h.controller = Controller(
        h.store,
        clock=h.clock,
        registry=lambda: build_registry(plugins=False, installed=addon_definitions(h.store)),
        owner="server",
    )
    h.controller.live_registry  # noqa: B018 - built at start, as `vessel server` does
    timed_pass(h)
    return timed_pass(h)


def check_objects(h: Harness, apps: int) -> int:
    """Every object of every application's inventory is in the target; how many there are."""
    objects = h.targets["mem"].objects
    recorded = missing = 0
    for app in h.store.apps():  # one application at a time: the check must not be what fills memory
        keys = [e.key for e in h.store.inventory(app.id)]
        recorded += len(keys)
        missing += sum(key not in objects for key in keys)
    if recorded != apps * OBJECTS_PER_APP or missing:
        raise BenchmarkFailed(
            f"{recorded} objects recorded for {apps} applications (expected {apps * OBJECTS_PER_APP}), "
            f"{missing} missing from the target"
        )
    return len(objects)


def rss_mib() -> float:
    """The resident set size now (not the peak)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mib() -> float:
    """The largest resident set size so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(args: argparse.Namespace, url: str) -> dict[str, Any]:
    h = Harness.create(url)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        deliver(h, 0, args.apps)
        deliver_s, deliver_cpu = time.perf_counter() - start, time.process_time() - cpu
        deliver(h, args.apps, max(args.steady - args.apps, 0))
        apps = max(args.steady, args.apps)
        gc.collect()
        rss_delivered, peak_delivered = rss_mib(), peak_rss_mib()
        timed_pass(h)  # settles: judges each application once more, records the live versions found
        warm = timed_pass(h)
        h.restart()  # a new controller on the same store and targets, as a restarted process
        revisions.DEFINITIONS.clear()
        first = timed_pass(h)
        server = served(h)
        objects = check_objects(h, apps)
        gc.collect()
        return {
            "apps": apps,
            "running": min(warm["running"], first["running"]),
            "objects": objects,
            "deliver_s": round(deliver_s, 2),
            "deliver_cpu_s": round(deliver_cpu, 2),
            "apps_per_s": round(args.apps / deliver_s, 1),
            "pass_s": round(warm["s"], 3),
            "pass_cpu_s": round(warm["cpu_s"], 3),
            "first_pass_s": round(first["s"], 3),
            "first_pass_cpu_s": round(first["cpu_s"], 3),
            "writes_per_pass": warm["writes"],
            "statements_per_pass": warm["statements"],
            "first_pass_writes": first["writes"],
            "first_pass_statements": first["statements"],
            "server_statements_per_pass": server["statements"],
            "changing_applies_per_pass": warm["changing_applies"],
            "rss_after_delivery_mib": round(rss_delivered),
            "rss_after_passes_mib": round(rss_mib()),
            "rss_peak_delivery_mib": round(peak_delivered),
            "rss_peak_mib": round(peak_rss_mib()),
            "store": h.store.engine.dialect.name,
        }
    finally:
        h.controller.close()
        h.store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=1000, help="applications to deliver (timed)")
    parser.add_argument("--steady", type=int, default=10000, help="finished applications to reconcile")
    parser.add_argument("--url", help="store URL (default: a SQLite file in a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            figures = run(args, args.url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        except BenchmarkFailed as exc:
            print(f"bench/engine.py: FAILED: {exc}", file=sys.stderr)
            sys.exit(1)
    print(
        f"deliver {args.apps} apps: {figures['deliver_s']} s ({figures['deliver_cpu_s']} s CPU); "
        f"pass over {figures['apps']} apps: {figures['pass_cpu_s']} s CPU warm, "
        f"{figures['first_pass_cpu_s']} s CPU after a restart; RSS {figures['rss_after_delivery_mib']} MiB "
        f"after delivery, {figures['rss_after_passes_mib']} MiB after the passes, "
        f"{figures['rss_peak_mib']} MiB peak"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
