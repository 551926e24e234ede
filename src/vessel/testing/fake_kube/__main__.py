"""`python -m vessel.testing.fake_kube --kubeconfig out.yaml`: a fake Kubernetes API server to try
Kubernetes delivery on, without a cluster.

It writes a kubeconfig for itself (context `fake`), prints where it listens, and serves until Ctrl-C or
SIGTERM (exit 0). Then, in another shell:

    vessel target add fake --type kubernetes --kubeconfig out.yaml
    vessel up -f examples/clusters/app.yaml

The fake plays the workload controllers and the kubelet (workloads get running pods), keeps everything
in memory and forgets it when it stops; kubectl works against it too.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from vessel.testing.fake_kube.server import DEFAULT_VERSION, FakeKubeServer


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m vessel.testing.fake_kube", description="Run a fake Kubernetes API server."
    )
    parser.add_argument("--kubeconfig", required=True, help="Where to write its kubeconfig.")
    parser.add_argument("--port", type=int, default=0, help="Port on 127.0.0.1 (default: a free one).")
    parser.add_argument("--version", default=DEFAULT_VERSION, help="The Kubernetes version it reports.")
    parser.add_argument("--namespace", default="default", help="The kubeconfig context's namespace.")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    stop = threading.Event()

    def stopping(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    try:
        server = FakeKubeServer(port=args.port, version=args.version)
    except OSError as exc:
        print(f"error: cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    with server:
        path = server.kubeconfig(args.kubeconfig, namespace=args.namespace)
        print(f"fake Kubernetes API server (v{args.version}) at {server.url}", flush=True)
        print(f"kubeconfig: {path} (context fake); Ctrl-C stops it", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
