"""Shared PostgreSQL on the local target: the time from `vessel addon enable postgresql` to a bound
application answering with its own database.

    .venv/bin/python bench/shared_postgresql.py

A fresh VESSEL_HOME under /tmp (reachable by the `postgres` OS user when run as root). Measured, each
command as its own process as a shell would start it: `addon enable postgresql` (initdb, the server
started, ready: accepting connections), then `vessel up` of an application with the `uses` trait whose
process writes a row through its DATABASE_URL — the figure ends when that row can be read back with the
application's own credentials. Everything is then deleted and the server stopped. Ends with one JSON line
of the figures (milliseconds).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from shared_services import bound_app


def vessel(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "vessel", *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"vessel {' '.join(args)} failed: {done.stdout}{done.stderr}")


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


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="vpg-bench-"))
    env = dict(os.environ, VESSEL_HOME=str(home))
    try:
        start = time.monotonic()
        vessel(env, "addon", "enable", "postgresql")
        enabled = time.monotonic()
        vessel(env, "up", "-f", str(bound_app(home, "a")))
        row_written(home, time.monotonic() + 60)
        answered = time.monotonic()
    finally:
        subprocess.run([sys.executable, "-m", "vessel", "delete", "a", "--yes"], env=env, capture_output=True)
        subprocess.run(
            [sys.executable, "-m", "vessel", "addon", "disable", "postgresql", "--force"],
            env=env,
            capture_output=True,
        )
        shutil.rmtree(home, ignore_errors=True)
    figures = {
        "enable_ms": round((enabled - start) * 1000),
        "bound_app_answering_ms": round((answered - enabled) * 1000),
        "enable_to_answering_ms": round((answered - start) * 1000),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
