"""The API of a real `vessel server` on 127.0.0.1 under concurrent clients, on a SQLite store.

    .venv/bin/python bench/api.py [--apps 1000] [--clients 50] [--gets 5000]

Starts `vessel server` (its own VESSEL_HOME in a temp dir, a memory target as the default), then:
1. POST apply: `--apps` applications (one component each, a namespace each), from `--clients`
   concurrent clients; every answer must be 202 with revision 1;
2. waits until the server's controller loop has delivered every one (each `running`, read from the list);
3. GET status: `--gets` requests for random applications from `--clients` concurrent clients; every
   answer must be 200 with phase `running`.
Each client keeps one connection (HTTP/1.1 keep-alive) and sends one request at a time. Any failure
stops the benchmark with exit 1. The last line is one JSON object: requests/s and p50/p99 latency (ms)
for both phases, the time the loop took to deliver everything, the loop's mean pass time over the
delivered applications while the GETs ran (0 if no pass ended meanwhile; the API and the loop share one
process, and so one interpreter lock) and the server's peak RSS.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from vessel_server import Failed, free_port, prepare, start_server

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: app-{i}, namespace: ns-{i}}}
spec:
  components:
    - name: web
      type: webservice
      properties: {{image: "registry.example.com/web:{i}", ports: [{{port: 8080, expose: true}}]}}
      traits: [{{type: scaler, properties: {{replicas: 2}}}}]
"""


class Client:
    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/yaml"}

    def call(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes, float]:
        """One request; a connection the server closed while idle (keep-alive timeout) is opened again
        and the request sent once more, timed from there (applying the same spec twice changes nothing)."""
        try:
            return self._timed(method, path, body)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.conn.close()
            return self._timed(method, path, body)

    def _timed(self, method: str, path: str, body: str | None) -> tuple[int, bytes, float]:
        start = time.perf_counter()
        self.conn.request(method, path, body=body, headers=self.headers)
        answer = self.conn.getresponse()
        data = answer.read()
        return answer.status, data, time.perf_counter() - start


def concurrently(clients: list[Client], jobs: list[Callable[[Client], float]]) -> tuple[list[float], float]:
    """Run `jobs` on the clients, each client one job at a time; latencies and wall time."""
    latencies: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    queue = list(reversed(jobs))

    def work(client: Client) -> None:
        while True:
            with lock:
                if not queue or errors:
                    return
                job = queue.pop()
            try:
                seconds = job(client)
            except BaseException as exc:
                with lock:
                    errors.append(exc)
                return
            with lock:
                latencies.append(seconds)

    start = time.perf_counter()
    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise Failed(str(errors[0]))
    return latencies, time.perf_counter() - start


def apply_job(i: int) -> Callable[[Client], float]:
    def job(client: Client) -> float:
        status, body, seconds = client.call("POST", "/api/v1/applications", APP.format(i=i))
        if status != 202 or json.loads(body)["applications"][0]["revision"] != 1:
            raise Failed(f"apply app-{i}: {status} {body[:300]!r}")
        return seconds

    return job


def status_job(i: int) -> Callable[[Client], float]:
    def job(client: Client) -> float:
        status, body, seconds = client.call("GET", f"/api/v1/namespaces/ns-{i}/applications/app-{i}")
        if status != 200 or json.loads(body)["phase"] != "running":
            raise Failed(f"status app-{i}: {status} {body[:300]!r}")
        return seconds

    return job


def running(client: Client) -> int:
    count, after = 0, ""
    while True:
        status, body, _ = client.call("GET", f"/api/v1/applications?phase=running&limit=500{after}")
        if status != 200:
            raise Failed(f"list: {status} {body[:300]!r}")
        page = json.loads(body)
        count += len(page["items"])
        if page["continue"] is None:
            return count
        after = f"&continue={page['continue']}"


def wait_delivered(client: Client, apps: int, deadline_s: float) -> float:
    start = time.perf_counter()
    while (done := running(client)) < apps:
        if time.perf_counter() - start > deadline_s:
            raise Failed(f"only {done} of {apps} applications running after {deadline_s:g}s")
        time.sleep(0.5)
    return time.perf_counter() - start


def figures(prefix: str, latencies: list[float], wall: float) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100)
    return {
        f"{prefix}_requests_per_s": len(latencies) / wall,
        f"{prefix}_p50_ms": cuts[49] * 1000,
        f"{prefix}_p99_ms": cuts[98] * 1000,
    }


def passes(client: Client) -> tuple[float, float]:
    """The controller loop's passes so far and their total time, from /metrics."""
    status, body, _ = client.call("GET", "/metrics")
    if status != 200:
        raise Failed(f"metrics: {status}")
    values = dict(
        line.rsplit(" ", 1)
        for line in body.decode().splitlines()
        if line.startswith("vessel_reconcile_pass_seconds_")
    )
    count = float(values.get("vessel_reconcile_pass_seconds_count", "0"))
    return count, float(values.get("vessel_reconcile_pass_seconds_sum", "0"))


def mean_pass_seconds(before: tuple[float, float], after: tuple[float, float]) -> float:
    count, seconds = after[0] - before[0], after[1] - before[1]
    return seconds / count if count else 0.0


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=1000, help="applications applied (and then stored)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--gets", type=int, default=5000, help="GET status requests")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        token = prepare(home)
        port = free_port()
        server = start_server(home, port, "1")
        try:
            clients = [Client(port, token) for _ in range(args.clients)]
            applied, apply_wall = concurrently(clients, [apply_job(i) for i in range(args.apps)])
            delivered = wait_delivered(clients[0], args.apps, deadline_s=max(120.0, args.apps * 0.5))
            picks = [random.randrange(args.apps) for _ in range(args.gets)]
            steady = passes(clients[0])
            got, get_wall = concurrently(clients, [status_job(i) for i in picks])
            rss = peak_rss_mib(server.pid)
            pass_seconds = mean_pass_seconds(steady, passes(clients[0]))
        except Failed as exc:  # the server's log says why it answered so
            raise Failed(f"{exc}\nserver log (end):\n{(home / 'server.log').read_text()[-3000:]}") from None
        finally:
            server.terminate()
            code = server.wait(60)
        if code != 0:
            raise Failed(f"server exited {code} on SIGTERM")
    result = {
        "apps": args.apps,
        "clients": args.clients,
        **figures("apply", applied, apply_wall),
        "delivered_all_after_apply_s": delivered,
        **figures("status", got, get_wall),
        "server_peak_rss_mib": rss,
        "steady_pass_mean_s": pass_seconds,
    }
    print(
        json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}, sort_keys=True)
    )


if __name__ == "__main__":
    try:
        main()
    except Failed as exc:
        print(f"bench/api.py FAILED: {exc}", file=sys.stderr)
        sys.exit(1)
