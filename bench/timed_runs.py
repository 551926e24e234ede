"""Vessel commands timed as a person runs them: each as its own process — the `vessel` console script
beside this Python, as a shell starts it — with its wall and CPU time. A run that exits non-zero, or does
not print what it should, stops the benchmark with what it printed."""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

RUN_S = 180  # how long one command may take
# what would send a command to another store, definitions or server than the benchmark's own
ELSEWHERE = ("VESSEL_DATABASE_URL", "VESSEL_DEFINITIONS", "VESSEL_SERVER", "VESSEL_TOKEN", "VESSEL_CONFIG")

Check = Callable[[str], bool]


def apps_and_runs(description: str) -> argparse.Namespace:
    """A benchmark's arguments: `--apps` (how many applications it delivers first, 3) and `--runs` (how
    many timed runs of each command, 9)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--apps", type=int, default=3)
    parser.add_argument("--runs", type=int, default=9)
    return parser.parse_args()


def add_directory_target(vessel: list[str], env: dict[str, str], path: Path) -> None:
    """The default target `out`: a directory target writing to `path`."""
    run([*vessel, "target", "add", "out", "--type", "directory", "--path", str(path), "--default"], env)


def vessel_command() -> list[str]:
    """The `vessel` console script beside this Python (what a shell runs), else `python -m vessel`."""
    script = Path(sys.executable).with_name("vessel")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vessel"]


def embedded_env(home: Path) -> dict[str, str]:
    """The environment of a command on the store in `home`, on this machine (no server, no other store or
    definitions), printing plainly and wide."""
    env = {**os.environ, "VESSEL_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "200"}
    for name in ELSEWHERE:
        env.pop(name, None)
    # Bytecode is written by the unmeasured first run and read by the others, as on any install: with
    # PYTHONDONTWRITEBYTECODE set (some shells and CI set it), every run would compile Vessel's modules
    # from source again, and that — not Vessel — would be most of what is measured.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run(argv: list[str], env: dict[str, str], stdin: str = "") -> tuple[float, float, str]:
    """Run once: (wall ms, CPU ms of the child, stdout); a failure stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        argv, env=env, input=stdin, capture_output=True, text=True, timeout=RUN_S, check=False
    )
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return wall, cpu, done.stdout


def timed(argv: list[str], env: dict[str, str], runs: int, check: Check) -> tuple[float, float]:
    """Median wall and CPU ms over `runs` runs (after one unmeasured run), each checked with `check`."""
    run(argv, env)  # bytecode written, files in the page cache: what every later start finds
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, out = run(argv, env)
        if not check(out):
            raise SystemExit(f"{' '.join(argv)} did not print what it should:\n{out}")
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)
