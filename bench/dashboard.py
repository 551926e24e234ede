"""How long a real `vessel server` takes to render the dashboard's pages with many applications.

    .venv/bin/python bench/dashboard.py [--apps 1000] [--requests 40]

Starts `vessel server` (its own VESSEL_HOME in a temp dir, a memory target as the default), stores
`--apps` applications in one apply (each in a namespace of ten), then times `--requests` sequential
GETs (over one kept-alive connection, signed in with a bearer token) of each of:
- `list`: the applications page as it opens (sorted by namespace, the first 50);
- `list_search`: searching a name part and sorting by last update, newest first;
- `list_500`: one page of 500 rows;
- `overview`: the overview (counts by phase and health, the delivery keys of 14 days).
Every answer must be 200 and say what it must (the list: `N applications` and its first row; the
search: exactly the matching ones), else exit 1. The controller loop passes once an hour here, so it
does not compete with the pages for the process. The last line is one JSON object: p50 and p95 in ms
of each page, and the page sizes in KiB.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from vessel_server import Failed, free_port, prepare, start_server

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: app-{i:04d}, namespace: ns-{ns}}}
spec:
  components:
    - name: web
      type: webservice
      properties: {{image: "registry.example.com/web:{i}"}}
"""


def timed(conn: http.client.HTTPConnection, token: str, path: str, count: int) -> tuple[list[float], str]:
    took, text = [], ""
    for _ in range(count):
        start = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        answer = conn.getresponse()
        text = answer.read().decode()
        took.append((time.perf_counter() - start) * 1000)
        if answer.status != 200:
            raise Failed(f"GET {path}: {answer.status}: {text[:300]}")
    return took, text


def check_list(text: str, apps: int, first: str, rows: int) -> None:
    if f"{apps} applications" not in text:
        raise Failed(f"the list does not say {apps} applications")
    listed = re.findall(r'<a href="/applications/[^"/]+/[^"/]+">([^<]+)</a>', text)  # one application's page
    if len(listed) != rows or listed[0] != first:
        raise Failed(f"the list shows {len(listed)} rows starting {listed[:1]}, expected {rows} from {first}")


def run(apps: int, requests: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        token = prepare(home)
        port = free_port()
        server = start_server(home, port, "3600")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            body = "---\n".join(APP.format(i=i, ns=i // 10) for i in range(apps))
            conn.request(
                "POST",
                "/api/v1/applications",
                body=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/yaml"},
            )
            answer = conn.getresponse()
            stored = answer.read()
            if answer.status != 202 or len(json.loads(stored)["applications"]) != apps:
                raise Failed(f"apply: {answer.status}: {stored[:300]!r}")
            figures: dict[str, float] = {"apps": apps}
            pages = {
                "list": "/applications",
                "list_search": "/applications?q=app-00&sort=updated&order=desc",
                "list_500": "/applications?size=500",
                "overview": "/",
            }
            for name, path in pages.items():
                timed(conn, token, path, 2)  # warm: templates compiled, caches filled
                took, text = timed(conn, token, path, requests)
                if name == "list":
                    check_list(text, apps, "app-0000", 50)
                elif name == "list_500":
                    check_list(text, apps, "app-0000", 500)
                elif name == "list_search":
                    matching = min(apps, 100)  # app-0000 … app-0099
                    check_list(
                        text.replace(f"{matching} applications", f"{apps} applications"),
                        apps,
                        f"app-{matching - 1:04d}",
                        min(50, matching),
                    )
                elif f"{apps} applications by phase" not in text:
                    raise Failed("the overview does not count every application")
                figures[f"{name}_p50_ms"] = round(statistics.median(took), 1)
                figures[f"{name}_p95_ms"] = round(sorted(took)[max(0, round(0.95 * len(took)) - 1)], 1)
                figures[f"{name}_kib"] = round(len(text.encode()) / 1024, 1)
            return figures
        finally:
            server.terminate()
            server.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    try:
        figures = run(args.apps, args.requests)
    except Failed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
