"""The shop's web app: POST /orders {"item": …} writes an order to PostgreSQL and queues its id in
Redis for the worker; GET /orders/ID reads it back ("queued", then "done"); GET /healthz answers once
both the database and Redis do. Vessel's local target starts it with PORT set."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from shop import JOBS, Redis, database

PORT = int(os.environ.get("PORT", "8090"))
MAX_BODY = 64 * 1024


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/healthz":
            with database() as conn:
                conn.execute("SELECT 1")
            Redis().call("PING")
            self.answer(200, {"ok": True})
            return
        found = re.fullmatch(r"/orders/(\d+)", self.path)
        if not found:
            self.answer(404, {"error": "not found"})
            return
        with database() as conn:
            row = conn.execute(
                "SELECT id, item, status FROM orders WHERE id = %s", (int(found[1]),)
            ).fetchone()
        if row is None:
            self.answer(404, {"error": f"no order {found[1]}"})
            return
        self.answer(200, {"id": row[0], "item": row[1], "status": row[2]})

    def do_POST(self) -> None:
        if self.path != "/orders":
            self.answer(404, {"error": "not found"})
            return
        try:
            item = json.loads(self.rfile.read(min(int(self.headers.get("Content-Length", 0)), MAX_BODY)))[
                "item"
            ]
            if not isinstance(item, str) or not item:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            self.answer(400, {"error": 'expected {"item": "a name"}'})
            return
        with database() as conn:
            (order,) = conn.execute("INSERT INTO orders (item) VALUES (%s) RETURNING id", (item,)).fetchone()
        Redis().call("RPUSH", JOBS, order)
        self.answer(201, {"id": order, "item": item, "status": "queued"})

    def answer(self, code: int, doc: dict[str, object]) -> None:
        body = (json.dumps(doc) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt: str, *args: object) -> None:
        sys.stdout.write(f"{self.address_string()} {fmt % args}\n")
        sys.stdout.flush()


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"shop web: serving on 127.0.0.1:{PORT}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
