"""Addons: how long `vessel addon enable` takes for an addon with a chain of dependencies, and what the
enabled addons' definitions add to a command that builds the definition registry (`vessel dry-run`).

    .venv/bin/python bench/addons.py [--addons 10] [--runs 5]

A fresh VESSEL_HOME gets a directory registry of `--addons` addons, each with one component definition,
each depending on the next (a chain: enabling the first enables them all, dependencies first). Measured,
each as its own process as a shell would start it: `addon enable` of the first (once: it changes the
store; checked with `addon status -o json`, which must list every addon), and the median of `--runs`
`vessel dry-run`s of an application using the last addon's component, before any addon is enabled
(with the type given in the file) and after (from the store); each dry-run must print the ConfigMap.
Ends with one JSON line of the figures (milliseconds).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from addon_fixtures import GREETING, write_addon

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: bench}}
spec:
  components:
    - {{name: hello, type: {component}, properties: {{message: hi}}}}
"""


def run(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "vessel", *args], env=env, capture_output=True, text=True)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"vessel {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def dry_run_ms(env: dict[str, str], files: list[Path], runs: int) -> float:
    times = []
    for _ in range(runs):
        elapsed, printed = run(env, "dry-run", *(a for f in files for a in ("-f", str(f))))
        if "kind: ConfigMap" not in printed or "message: hi" not in printed:
            raise SystemExit(f"dry-run did not render the addon's component:\n{printed}")
        times.append(elapsed)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--addons", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = {**os.environ, "VESSEL_HOME": str(root / "home")}
        env.pop("VESSEL_DATABASE_URL", None)
        names = [f"addon{i}" for i in range(args.addons)]
        for i, name in enumerate(names):
            needs = ((names[i + 1], "^1"),) if i + 1 < len(names) else ()
            write_addon(root / "registry", name, dependencies=needs, component=f"{name}-greeting")
        last = f"{names[-1]}-greeting"
        (root / "app.yaml").write_text(APP.format(component=last))
        (root / "def.yaml").write_text(GREETING.format(name=last))
        run(env, "addon", "registry", "add", "bench", "--path", str(root / "registry"))
        without = dry_run_ms(env, [root / "app.yaml", root / "def.yaml"], args.runs)
        enable_ms, _ = run(env, "addon", "enable", names[0])
        _, status = run(env, "addon", "status", "-o", "json")
        if sorted(a["name"] for a in json.loads(status)) != sorted(names):
            raise SystemExit(f"not every addon was enabled:\n{status}")
        with_addons = dry_run_ms(env, [root / "app.yaml"], args.runs)
    figures = {
        "addons": args.addons,
        "enable_chain_ms": round(enable_ms),
        "dry_run_without_addons_ms": round(without),
        "dry_run_with_addons_ms": round(with_addons),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
