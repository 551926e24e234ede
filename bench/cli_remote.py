"""The CLI through a server: how long `vessel ls` and `vessel status APP` take as a person runs them, in
remote mode (VESSEL_SERVER and VESSEL_TOKEN) and, for comparison, embedded on the same store.

    .venv/bin/python bench/cli_remote.py [--apps 3] [--runs 9]

A fresh VESSEL_HOME gets a directory target, a first admin and a `vessel server` on 127.0.0.1 (a free
port); `--apps` applications are delivered through the server with `vessel up` (remote), which must say
each is running. Then each command runs `--runs` times as its own process — the console script, as a
shell starts it — after one unmeasured run, in each mode; each figure is the median wall time in
milliseconds. Every run must exit 0 and print every application (ls) or the application's name and
`running` (status), or the benchmark stops with what it printed. Ends with one JSON line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from timed_runs import add_directory_target, apps_and_runs, embedded_env, run, timed, vessel_command
from vessel_server import free_port, wait_until_up

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: app-{i}}}
spec:
  components:
    - {{name: api-{i}, type: webservice, properties: {{image: "shop/api:{i}", ports: [{{port: 80}}]}}}}
"""


def median_ms(argv: list[str], env: dict[str, str], runs: int, wanted: list[str]) -> float:
    """Median wall ms of `runs` runs, each printing every one of `wanted`."""
    wall, _ = timed(argv, env, runs, lambda out: all(w in out for w in wanted))
    return round(wall, 1)


def main() -> None:
    args = apps_and_runs(__doc__.split("\n\n")[0])
    vessel = vessel_command()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        embedded = embedded_env(root / "home")
        add_directory_target(vessel, embedded, root / "out")
        _, _, token = run([*vessel, "server", "init", "--user", "bench"], embedded)
        url = f"http://127.0.0.1:{free_port()}"
        server = subprocess.Popen(
            [*vessel, "server", "--listen", url.removeprefix("http://"), "--interval", "0.2"],
            env=embedded,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(url, server)
            remote = {
                **embedded,
                "VESSEL_SERVER": url,
                "VESSEL_TOKEN": token.strip(),
                "VESSEL_HOME": str(root / "client"),
            }
            files = []
            for i in range(1, args.apps + 1):
                (root / f"app-{i}.yaml").write_text(APP.format(i=i))
                files += ["-f", str(root / f"app-{i}.yaml")]
            _, _, delivered = run([*vessel, "up", *files, "--timeout", "120s"], remote)
            if delivered.count(" is running") != args.apps:
                raise SystemExit(f"not every application was delivered:\n{delivered}")
            names = [f"app-{i}" for i in range(1, args.apps + 1)]
            figures = {"apps": args.apps, "runs": args.runs}
            for mode, env in (("remote", remote), ("embedded", embedded)):
                figures[f"{mode}_ls_ms"] = median_ms([*vessel, "ls"], env, args.runs, names)
                status = [*vessel, "status", "app-1"]
                figures[f"{mode}_status_ms"] = median_ms(status, env, args.runs, ["app-1", "running"])
            python = median_ms([sys.executable, "-c", "pass"], embedded, args.runs, [])
            figures["python_floor_ms"] = python
            figures["load_average_1m"] = round(os.getloadavg()[0], 2)
        finally:
            server.terminate()
            server.wait(30)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
