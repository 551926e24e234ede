"""Two `vessel run` processes share one store: they never drive the same run at the same time, and when
the one driving dies (SIGKILL, so its lease is never released) the other takes the run over after the
lease expires and finishes it. Runs on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

STEPS = 5
APP = "\n".join(
    [
        "apiVersion: core.oam.dev/v1beta1",
        "kind: Application",
        "metadata: {name: relay}",
        "spec:",
        "  components:",
        '    - {name: api, type: webservice, properties: {image: "api:1"}}',
        "  workflow:",
        "    steps:",
        *[
            f'      - {{name: hook-{i}, type: webhook, properties: {{url: {{value: "URL/hook-{i}"}}}}}}'
            for i in range(1, STEPS + 1)
        ],
        "",
    ]
)


class Receiver:
    """Counts calls and notices two calls in flight at once (the workflow is StepByStep: never legal)."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.overlaps = 0
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.in_flight += 1
                    receiver.overlaps += receiver.in_flight > 1
                    receiver.calls.append(self.path.strip("/"))
                time.sleep(0.3)
                with receiver.lock:
                    receiver.in_flight -= 1
                self.send_response(200)
                self.end_headers()

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


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vessel", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_two_runners_never_drive_one_run_and_the_survivor_takes_over(
    tmp_path: Path, store_url: str, receiver: tuple[Receiver, str]
) -> None:
    r, url = receiver
    env = {
        **os.environ,
        "VESSEL_HOME": str(tmp_path / "home"),
        "VESSEL_DATABASE_URL": store_url,
        "VESSEL_LEASE_SECONDS": "1",
    }
    (tmp_path / "app.yaml").write_text(APP.replace("URL", url))
    assert (
        _cli(
            env, "target", "add", "out", "--type", "directory", "--path", str(tmp_path / "out"), "--default"
        ).returncode
        == 0
    )
    assert _cli(env, "up", "--no-wait", "-f", str(tmp_path / "app.yaml")).returncode == 0

    def runner() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "vessel", "run", "--interval", "0.1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    first, second = runner(), runner()
    try:
        deadline = time.monotonic() + 30
        while len(r.calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)  # one of them is driving; the other must take over
        first.wait()
        while len(set(r.calls)) < STEPS and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=10)
    assert r.overlaps == 0
    assert set(r.calls) == {f"hook-{i}" for i in range(1, STEPS + 1)}
    status = json.loads(_cli(env, "status", "relay", "-o", "json").stdout)
    assert status["workflow"]["phase"] == "succeeded"
