"""Delivery to Kubernetes clusters over HTTP: fake API servers (vessel.testing.fake_kube) in this process.

    .venv/bin/python bench/kubernetes.py [--apps 200] [--clusters 2]

Prints: the time to deliver N applications (3 components, 4 objects each) to every cluster through one
topology policy, the requests each application cost, and one steady-state reconcile pass over all of
them (wall time, requests per object, writes). The fake servers run in this process, so their CPU is in
the figures too: a real API server answers more slowly, but elsewhere.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: app-{i}, namespace: ns-{ns}}}
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
  policies:
    - {{name: everywhere, type: topology, properties: {{clusterLabelSelector: {{bench: "yes"}}}}}}
"""
WRITES = ("PATCH", "PUT", "POST", "DELETE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        kubes = [FakeKubeServer().start() for _ in range(args.clusters)]
        h = Harness.create(f"sqlite:///{Path(tmp) / 'vessel.db'}")
        try:
            for n, kube in enumerate(kubes):
                config = {"kubeconfig": str(kube.kubeconfig(Path(tmp) / f"kube-{n}"))}
                h.add_target(f"cluster-{n}", "kubernetes", config, bench="yes")
            start = time.perf_counter()
            records = [h.up(APP.format(i=i, ns=i)) for i in range(args.apps)]
            took = time.perf_counter() - start
            assert all(r.phase == "running" for r in records), records[-1].message
            requests = Counter(m for kube in kubes for m, _ in kube.requests)
            objects = args.apps * 4 * args.clusters
            print(
                f"deliver {args.apps} apps x {args.clusters} clusters ({objects} objects): {took:.2f} s, "
                f"{args.apps / took:.0f} apps/s, {sum(requests.values()) / args.apps:.1f} requests/app "
                f"({', '.join(f'{m} {c}' for m, c in sorted(requests.items()))})"
            )
            for kube in kubes:
                kube.requests.clear()
            start = time.perf_counter()
            h.controller.reconcile_all()
            took = time.perf_counter() - start
            requests = Counter(m for kube in kubes for m, _ in kube.requests)
            writes = sum(requests[m] for m in WRITES)
            per_object = sum(requests.values()) / objects
            print(f"steady reconcile pass: {took:.2f} s, {per_object:.2f} requests/object, {writes} writes")
        finally:
            h.store.close()
            for kube in kubes:
                kube.stop()


if __name__ == "__main__":
    main()
