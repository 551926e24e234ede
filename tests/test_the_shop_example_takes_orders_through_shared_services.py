"""examples/shop-local end to end on the local target: with the built-in `postgresql` and `redis`
addons enabled, `vessel up` brings the web app and the worker up bound to them, an order POSTed over
HTTP is written to PostgreSQL and queued in Redis, and the worker marks it done — seen through HTTP
within a bounded time. Both components share the application's one database and Redis user, and
`vessel status` shows the web's endpoint as it is (the binding's host is no secret)."""

from __future__ import annotations

import json
import shutil
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psycopg
import pytest

from shared_services import ok, reachable_home, secret, vessel

__all__ = ["reachable_home"]  # the fixture, imported for pytest

pytestmark = pytest.mark.timeout(240)

EXAMPLE = Path(__file__).parent.parent / "examples" / "shop-local"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def shop_copy(home: Path, port: int) -> Path:
    """The example as shipped, on a free port instead of 8090."""
    folder = home / "shop-local"
    shutil.copytree(EXAMPLE, folder)
    app = folder / "app.yaml"
    app.write_text(app.read_text().replace("8090", str(port)))
    return app


def call(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def until_done(url: str, seconds: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        code, order = call(url)
        assert code == 200, order
        if order["status"] == "done" or time.monotonic() > deadline:
            return order
        time.sleep(0.1)


@pytest.fixture
def shop_home(reachable_home: Path) -> Any:
    yield reachable_home
    vessel("delete", "shop-local", "--yes")
    vessel("addon", "disable", "redis", "--force")  # reachable_home disables postgresql and stops both


def test_an_order_posted_to_the_web_app_is_marked_done_by_the_worker(shop_home: Path) -> None:
    ok("addon", "enable", "postgresql")
    ok("addon", "enable", "redis")
    port = free_port()
    ok("up", "-f", str(shop_copy(shop_home, port)))
    base = f"http://127.0.0.1:{port}"

    code, created = call(f"{base}/orders", {"item": "teapot"})
    assert code == 201 and created["status"] == "queued", created
    order = until_done(f"{base}/orders/{created['id']}")
    assert order == {"id": created["id"], "item": "teapot", "status": "done"}

    # The order is in the application's own database, which web and worker share, read back with the
    # application's own credentials.
    assert secret("shop-local", "PGDATABASE") == "default_shop_local"
    with psycopg.connect(secret("shop-local", "DATABASE_URL")) as conn:
        rows = conn.execute("SELECT item, status FROM orders").fetchall()
    assert rows == [("teapot", "done")]
    assert call(f"{base}/orders", {"item": ""})[0] == 400

    # Its endpoint is shown as it is: the binding's host is not a secret (its password is).
    shown = ok("status", "shop-local")
    assert f"http://127.0.0.1:{port}" in shown and secret("shop-local", "PGPASSWORD") not in shown
