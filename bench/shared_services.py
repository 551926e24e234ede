"""Shared services on the local target: the time from `vessel addon enable postgresql` (and `redis`) to
a bound application answering with its own database (its own keys).

    .venv/bin/python bench/shared_services.py

A fresh VESSEL_HOME under /tmp (reachable by the `postgres` OS user when run as root). Measured, each
command as its own process as a shell would start it: `addon enable postgresql` (initdb, the server
started, ready: accepting connections), then `vessel up` of an application with the `uses` trait whose
process writes a row through its DATABASE_URL — the figure ends when that row can be read back with the
application's own credentials; then the same for `redis` (a key written with the REDIS_URL credentials,
read back with them). Everything is then deleted and the servers stopped. Ends with one JSON line of the
figures (milliseconds).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from shared_services import bound_app
from vessel.errors import VesselError
from vessel.targets.local.redis.resp import Connection


def vessel(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "vessel", *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"vessel {' '.join(args)} failed: {done.stdout}{done.stderr}")


def key_written(home: Path, deadline: float) -> None:
    url = urlsplit((home / "secrets" / "redis-default-a" / "REDIS_URL").read_text())
    while time.monotonic() < deadline:
        try:
            with Connection(url.hostname or "", url.port or 0) as conn:
                conn.call("AUTH", url.username or "", unquote(url.password or ""))
                if conn.call("GET", "default_a:seen") == "default_a":
                    return
        except (OSError, VesselError):
            pass
        time.sleep(0.05)
    raise SystemExit("the bound application never wrote its key")


def row_written(home: Path, deadline: float) -> None:
    url = (home / "secrets" / "postgresql-default-a" / "DATABASE_URL").read_text()
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(url) as conn:
                if conn.execute("SELECT who FROM seen").fetchall() == [("default_a",)]:
                    return
        except psycopg.Error:
            time.sleep(0.05)
    raise SystemExit("the bound application never wrote its row")


def measure(addon: str, answered: Callable[[Path, float], None]) -> dict[str, int]:
    home = Path(tempfile.mkdtemp(prefix="vpg-bench-"))
    env = dict(os.environ, VESSEL_HOME=str(home))
    try:
        start = time.monotonic()
        vessel(env, "addon", "enable", addon)
        enabled = time.monotonic()
        vessel(env, "up", "-f", str(bound_app(home, "a", addon=addon)))
        answered(home, time.monotonic() + 60)
        done = time.monotonic()
    finally:
        for args in (["delete", "a", "--yes"], ["addon", "disable", addon, "--force"]):
            subprocess.run([sys.executable, "-m", "vessel", *args], env=env, capture_output=True, check=False)
        shutil.rmtree(home, ignore_errors=True)
    return {
        f"{addon}_enable_ms": round((enabled - start) * 1000),
        f"{addon}_bound_app_answering_ms": round((done - enabled) * 1000),
        f"{addon}_enable_to_answering_ms": round((done - start) * 1000),
    }


def main() -> None:
    figures = {**measure("postgresql", row_written), **measure("redis", key_written)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
