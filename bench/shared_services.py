"""Shared services on the local target: the time from `vessel addon enable postgresql` (and `redis`) to
a bound application answering with its own database (its own keys).

    .venv/bin/python bench/shared_services.py

A fresh VESSEL_HOME under /tmp (reachable by the `postgres` OS user when run as root). Measured, each
command as its own process as a shell would start it: `addon enable postgresql` (initdb, the server
started, ready: accepting connections), then `vessel up` of an application with the `uses` trait whose
process writes a row through its DATABASE_URL — the figure ends when that row can be read back with the
application's own credentials; then the same for `redis` (a key written with the REDIS_URL credentials,
read back with them); then examples/shop-local on a fresh VESSEL_HOME: `addon enable postgresql`,
`addon enable redis`, `vessel up` of the example, and an order POSTed to its web app until the worker
has marked it done (seen through HTTP). Everything is then deleted and the servers stopped. Ends with
one JSON line of the figures (milliseconds).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
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


SHOP = Path(__file__).resolve().parent.parent / "examples" / "shop-local"


def order_done(base: str, deadline: float) -> None:
    """POST an order to the shop's web app, then GET it until the worker has marked it done."""
    request = urllib.request.Request(f"{base}/orders", data=json.dumps({"item": "bench"}).encode())
    with urllib.request.urlopen(request, timeout=10) as response:
        order = json.loads(response.read())["id"]
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base}/orders/{order}", timeout=10) as response:
            if json.loads(response.read())["status"] == "done":
                return
        time.sleep(0.05)
    raise SystemExit("the shop's worker never marked the order done")


def measure_shop() -> dict[str, int]:
    home = Path(tempfile.mkdtemp(prefix="vpg-bench-"))
    env = dict(os.environ, VESSEL_HOME=str(home))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    shutil.copytree(SHOP, home / "shop-local")
    app = home / "shop-local" / "app.yaml"
    app.write_text(app.read_text().replace("8090", str(port)))
    try:
        start = time.monotonic()
        vessel(env, "addon", "enable", "postgresql")
        vessel(env, "addon", "enable", "redis")
        enabled = time.monotonic()
        vessel(env, "up", "-f", str(app))
        order_done(f"http://127.0.0.1:{port}", time.monotonic() + 60)
        done = time.monotonic()
    finally:
        for args in (
            ["delete", "shop-local", "--yes"],
            *(["addon", "disable", a, "--force"] for a in ("redis", "postgresql")),
        ):
            subprocess.run([sys.executable, "-m", "vessel", *args], env=env, capture_output=True, check=False)
        shutil.rmtree(home, ignore_errors=True)
    return {
        "shop_enable_both_ms": round((enabled - start) * 1000),
        "shop_up_to_order_done_ms": round((done - enabled) * 1000),
        "shop_enable_postgresql_to_order_done_ms": round((done - start) * 1000),
    }


def main() -> None:
    figures = {**measure("postgresql", row_written), **measure("redis", key_written), **measure_shop()}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
