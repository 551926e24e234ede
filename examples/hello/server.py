"""The hello service: a tiny HTTP server that says who answered.

Vessel's local target starts it with PORT set (one port per replica); GREETING comes from the
Application. GET / answers with JSON, GET /healthz is the readiness probe.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "8080"))
GREETING = os.environ.get("GREETING", "hello")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/healthz":
            body = b"ok\n"
        else:
            body = (json.dumps({"greeting": GREETING, "replica": PORT, "pid": os.getpid()}) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json" if self.path != "/healthz" else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt: str, *args: object) -> None:
        sys.stdout.write(f"{self.address_string()} {fmt % args}\n")
        sys.stdout.flush()


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    signal.signal(signal.SIGTERM, lambda *_: server.shutdown())
    print(f"hello: serving on 127.0.0.1:{PORT} (greeting {GREETING!r})", flush=True)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    thread.join()


if __name__ == "__main__":
    main()
