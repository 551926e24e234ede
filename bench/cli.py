"""CLI start-up: how long `vessel version`, `vessel ls` and `vessel status APP` take, as a person runs them.

    .venv/bin/python bench/cli.py [--apps 3] [--runs 9]

A fresh VESSEL_HOME gets a directory target and `--apps` delivered applications (each `running`, checked
with `vessel ls -o json`), then every command runs `--runs` times as its own process — the console
script, as a shell would start it — and each figure is the median. Wall time is what a person waits;
CPU time (user + system of the child) moves less when other work shares the machine, so both are given,
in milliseconds and as a ratio to `python -c pass` (what any Python command costs at least). Two more
floors say how much of that is Vessel's own: importing what every command needs (Typer and Rich), and
that plus SQLAlchemy (what every command reading the store needs). The load
average at the end says how idle the machine was.

Every run must exit 0 and print what the command should (the version; every application, running; the
application's phase and its component): a run that fails stops the benchmark with what it printed.
Ends with one JSON line of the figures.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from timed_runs import Check, add_directory_target, apps_and_runs, embedded_env, run, timed, vessel_command
from vessel import __version__

GOALS_MS = {"version": 150, "ls": 300, "status": 300}  # issue 11, on an idle machine
CLI_LIBRARIES = "typer, rich.console, rich.table"

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: app-{i}}}
spec:
  components:
    - name: api-{i}
      type: webservice
      properties: {{image: "shop/api:{i}", ports: [{{port: 80, expose: true}}]}}
      traits: [{{type: scaler, properties: {{replicas: 2}}}}]
"""


def listed_running(table: str) -> set[str]:
    """The applications a `vessel ls` table shows as running."""
    return {cells[0] for cells in map(str.split, table.splitlines()[1:]) if cells[1:2] == ["running"]}


def deliver(vessel: list[str], env: dict[str, str], home: Path, apps: int) -> None:
    add_directory_target(vessel, env, home / "out")
    files = []
    for i in range(1, apps + 1):
        file = home / f"app-{i}.yaml"
        file.write_text(APP.format(i=i))
        files += ["-f", str(file)]
    run([*vessel, "up", *files], env)
    _, _, listed = run([*vessel, "ls", "-o", "json"], env)
    phases = {a["name"]: a["phase"] for a in json.loads(listed)}
    wanted = {f"app-{i}": "running" for i in range(1, apps + 1)}
    if phases != wanted:
        raise SystemExit(f"the applications were not all delivered: {phases}")


def main() -> None:
    args = apps_and_runs(__doc__.split("\n\n")[0])
    vessel = vessel_command()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = embedded_env(home / "home")
        deliver(vessel, env, home, args.apps)
        names = [f"app-{i}" for i in range(1, args.apps + 1)]
        commands: dict[str, tuple[list[str], Check]] = {
            "python": ([sys.executable, "-c", "pass"], lambda out: out == ""),
            "floor_cli": ([sys.executable, "-c", f"import {CLI_LIBRARIES}"], lambda out: out == ""),
            "floor_store": (
                [sys.executable, "-c", f"import {CLI_LIBRARIES}, sqlalchemy"],
                lambda out: out == "",
            ),
            "version": ([*vessel, "version"], lambda out: f"Version:  {__version__}" in out),
            "ls": ([*vessel, "ls"], lambda out: listed_running(out) == set(names)),
            "status": (
                [*vessel, "status", "app-1"],
                lambda out: "default/app-1  phase: running" in out and "api-1" in out,
            ),
        }
        figures: dict[str, float | int | bool] = {"apps": args.apps, "runs": args.runs}
        for name, (argv, check) in commands.items():
            wall, cpu = timed(argv, env, args.runs, check)
            figures[f"{name}_ms"] = round(wall, 1)
            figures[f"{name}_cpu_ms"] = round(cpu, 1)
    report(figures)


def report(figures: dict[str, float | int | bool]) -> None:
    python_ms, python_cpu = float(figures["python_ms"]), float(figures["python_cpu_ms"])
    for name, goal in GOALS_MS.items():
        wall, cpu = float(figures[f"{name}_ms"]), float(figures[f"{name}_cpu_ms"])
        figures[f"{name}_ratio"] = round(wall / python_ms, 1)
        figures[f"{name}_cpu_ratio"] = round(cpu / max(python_cpu, 1.0), 1)
        figures[f"{name}_goal_met"] = wall <= goal
        print(
            f"vessel {name:8} {wall:7.1f} ms wall ({figures[f'{name}_ratio']:5.1f}x python -c pass), "
            f"{cpu:7.1f} ms CPU; goal {goal} ms: {'met' if wall <= goal else 'NOT met'}"
        )
    print(f"python -c pass  {python_ms:7.1f} ms wall, {python_cpu:7.1f} ms CPU")
    for floor in ("floor_cli", "floor_store"):
        print(f"{floor:15} {figures[f'{floor}_ms']:7.1f} ms wall, {figures[f'{floor}_cpu_ms']:7.1f} ms CPU")
    figures["load_avg_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
