"""Engine throughput on the in-memory target, with a real store.

    .venv/bin/python bench/engine.py [--apps 1000] [--steady 10000] [--url sqlite:///... | postgresql+psycopg://...]

Prints: the time to deliver N applications (3 components each: submit, revision, workflow run, apply,
health) and one reconcile pass over M finished applications (how many are running, CPU time, store
statements and writes, changing applies), and the peak RSS. KubeVela's published sizing is 0.5 core and
1 GiB for 3,000 applications. Each application has a namespace of its own: applications sharing one
would render the same object names and all but the first would fail (they must not overwrite each
other's objects).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from vessel.testing.engine import Harness

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: app-{i}, namespace: ns-{i}}}
spec:
  components:
    - name: frontend
      type: webservice
      properties: {{image: "registry.example.com/frontend:{i}", ports: [{{port: 8080, expose: true}}]}}
      traits: [{{type: scaler, properties: {{replicas: 2}}}}]
    - name: backend
      type: webservice
      properties: {{image: "registry.example.com/backend:{i}", cpu: "250m"}}
    - name: jobs
      type: worker
      properties: {{image: "registry.example.com/jobs:{i}"}}
"""


def deliver(h: Harness, first: int, count: int) -> None:
    for i in range(first, first + count):
        app = h.submit(APP.format(i=i))
        h.controller.drive(app)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=1000, help="applications to deliver (timed)")
    parser.add_argument("--steady", type=int, default=10000, help="finished applications to reconcile once")
    parser.add_argument("--url", help="store URL (default: a SQLite file in a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        h = Harness.create(url)
        start, cpu = time.perf_counter(), time.process_time()
        deliver(h, 0, args.apps)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(
            f"deliver {args.apps} apps x 3 components: {wall:.1f} s wall, {cpu:.1f} s CPU "
            f"({args.apps / wall:.0f} apps/s, {args.apps * 3 / wall:.0f} components/s)"
        )

        if args.steady > args.apps:
            deliver(h, args.apps, args.steady - args.apps)
        apps = h.store.apps()
        h.controller.reconcile_all()  # warm: revision contexts cached, as in a long-running controller
        writes, changes = h.store.writes, h.targets["mem"].counters.changing_applies
        statements = h.store.statements
        start, cpu = time.perf_counter(), time.process_time()
        passed = h.controller.reconcile_all()
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        running = sum(a.phase == "running" for a in passed)
        print(
            f"reconcile pass over {len(apps)} finished apps ({running} running): {wall:.1f} s wall, "
            f"{cpu:.1f} s CPU "
            f"({cpu / len(apps) * 1000:.2f} ms CPU per app), store statements "
            f"{h.store.statements - statements}, store writes {h.store.writes - writes}, "
            f"changing applies {h.targets['mem'].counters.changing_applies - changes}"
        )
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"peak RSS: {rss:.0f} MiB ({len(apps)} applications, {len(apps) * 4} objects in memory targets)"
        )
        h.store.close()


if __name__ == "__main__":
    main()
