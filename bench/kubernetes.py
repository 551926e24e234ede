"""Delivery to Kubernetes clusters over HTTP, with each fake API server in a process of its own.

    .venv/bin/python bench/kubernetes.py [--apps 200] [--clusters 2]

Delivers N applications (3 components, 4 objects each) to every cluster through one topology policy,
then runs one steady-state reconcile pass over all of them. The fake API servers (vessel.testing.fake_kube)
run in child processes (bench/kube_process.py), so the CPU figures are Vessel's own: the process time of
this process (the engine, the store, the HTTP client), not the servers'. Requests are counted by the
servers. Wall times include the servers' work, as they would include a real API server's.

It fails (exit 1, saying why) unless every application is `running` and every object its inventory holds
is on the cluster it names — asked of the fake servers — and the pass leaves them so. The last line is
one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from kube_process import KubeProcess
from vessel.testing.engine import Harness
from vessel.testing.sample_app import OBJECTS_PER_APP, sample_app

POLICIES = """\
  policies:
    - {name: everywhere, type: topology, properties: {clusterLabelSelector: {bench: "yes"}}}
"""
WRITES = ("PATCH", "PUT", "POST", "DELETE")


class BenchFailed(Exception):
    """The work the benchmark timed did not succeed: its figures would mean nothing."""


def timed(work: Any) -> tuple[Any, float, float]:
    """What `work()` returns, the wall seconds and this process's CPU seconds it took."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def requests(kubes: dict[str, KubeProcess]) -> Counter[str]:
    total: Counter[str] = Counter()
    for kube in kubes.values():
        total += kube.requests()
    return total


def check_running(records: list[Any], apps: int, when: str) -> None:
    failed = [r for r in records if r.phase != "running"]
    if len(records) != apps or failed:
        first = f"; first: {failed[0].namespace}/{failed[0].name} {failed[0].phase}: {failed[0].message}"
        raise BenchFailed(
            f"{when}: {len(records) - len(failed)} of {apps} applications running{first if failed else ''}"
        )


def check_objects(h: Harness, kubes: dict[str, KubeProcess], apps: int, when: str) -> int:
    """Every object of every application's inventory is on its cluster; how many there are."""
    held = {name: kube.objects() for name, kube in kubes.items()}
    expected = apps * OBJECTS_PER_APP * len(kubes)
    entries = [e for app in h.store.apps() for e in h.store.inventory(app.id)]
    missing = [e for e in entries if (e.key.kind, e.key.namespace, e.key.name) not in held[e.target]]
    if missing or len(entries) != expected:
        first = f"; first missing: {missing[0].key} on {missing[0].target}" if missing else ""
        raise BenchFailed(
            f"{when}: {len(entries)} objects in the inventory (expected {expected}), "
            f"{len(missing)} of them not on their cluster{first}"
        )
    return len(entries)


def run(h: Harness, kubes: dict[str, KubeProcess], apps: int) -> dict[str, Any]:
    records, deliver_s, deliver_cpu = timed(lambda: [h.up(sample_app(i, POLICIES)) for i in range(apps)])
    delivered = requests(kubes)
    check_running(records, apps, "after delivery")
    objects = check_objects(h, kubes, apps, "after delivery")
    for kube in kubes.values():
        kube.clear()
    store_writes = h.store.writes
    passed, pass_s, pass_cpu = timed(h.controller.reconcile_all)
    asked = requests(kubes)
    check_running(passed, apps, "after the steady-state pass")
    check_objects(h, kubes, apps, "after the steady-state pass")
    return {
        "apps": apps,
        "clusters": len(kubes),
        "objects": objects,
        "running": sum(r.phase == "running" for r in passed),
        "deliver_s": round(deliver_s, 3),
        "apps_per_s": round(apps / deliver_s, 1),
        "deliver_cpu_s": round(deliver_cpu, 3),
        "deliver_cpu_ms_per_app": round(deliver_cpu / apps * 1000, 2),
        "requests_per_app": round(sum(delivered.values()) / apps, 2),
        "deliver_requests": dict(sorted(delivered.items())),
        "pass_s": round(pass_s, 3),
        "pass_cpu_s": round(pass_cpu, 3),
        "pass_cpu_ms_per_app": round(pass_cpu / apps * 1000, 3),
        "pass_requests": sum(asked.values()),
        "pass_requests_per_object": round(sum(asked.values()) / objects, 3),
        "pass_writes": sum(asked[m] for m in WRITES),
        "pass_store_writes": h.store.writes - store_writes,
        "rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        kubes = {f"cluster-{n}": KubeProcess(Path(tmp) / f"kube-{n}") for n in range(args.clusters)}
        h = None
        try:
            for kube in kubes.values():
                kube.start()
            h = Harness.create(f"sqlite:///{Path(tmp) / 'vessel.db'}")
            for name, kube in kubes.items():
                h.add_target(name, "kubernetes", {"kubeconfig": str(kube.kubeconfig)}, bench="yes")
            figures = run(h, kubes, args.apps)
        except BenchFailed as failed:
            print(f"bench/kubernetes.py FAILED: {failed}", file=sys.stderr)
            return 1
        finally:
            if h is not None:
                h.controller.close()
                h.store.close()
            for kube in kubes.values():
                kube.stop()
    print(
        f"deliver {args.apps} apps x {args.clusters} clusters ({figures['objects']} objects): "
        f"{figures['deliver_s']:.1f} s, {figures['apps_per_s']:.0f} apps/s, "
        f"{figures['deliver_cpu_ms_per_app']:.1f} ms Vessel CPU/app, "
        f"{figures['requests_per_app']:.1f} requests/app"
    )
    print(
        f"steady pass: {figures['pass_s']:.2f} s, {figures['pass_cpu_s']:.2f} s Vessel CPU, "
        f"{figures['pass_requests_per_object']:.2f} requests/object, {figures['pass_writes']} writes"
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
