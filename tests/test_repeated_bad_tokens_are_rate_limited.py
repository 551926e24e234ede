"""An address that keeps sending bad tokens is slowed down: past the limit within the window, every
request that needs a token answers 429 with Retry-After — a good token too, or a guess that succeeded
would stand out — until the window has passed; the probes stay open. The throttle keeps a bounded
number of addresses."""

from __future__ import annotations

from pathlib import Path

from server_process import ServerProcess, admin_token
from vessel.api.throttle import BadTokenThrottle

LIST = "/api/v1/applications"


def test_a_real_server_answers_429_past_the_limit(isolated_home: Path) -> None:
    server = ServerProcess(isolated_home, admin_token(isolated_home)).start("--bad-tokens", "3")
    try:
        assert [server.request("GET", LIST, token=f"vsl_guess.{i}").status for i in range(3)] == [401] * 3
        limited = server.request("GET", LIST, token="vsl_guess.4")
        assert limited.status == 429
        assert limited.headers["content-type"] == "application/problem+json"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert server.request("GET", LIST).status == 429  # the admin's good token, from the same address
        assert server.request("GET", "/healthz", token=None).status == 200
    finally:
        server.kill()


def test_the_window_passes() -> None:
    throttle = BadTokenThrottle(limit=2, window=60.0)
    throttle.failed("a", 100.0)
    throttle.failed("a", 130.0)
    assert throttle.retry_after("a", 131.0) == 29.0  # until the older failure is 60 s old
    assert throttle.retry_after("b", 131.0) == 0.0  # another address is not slowed
    assert throttle.retry_after("a", 160.0) == 0.0
    throttle.failed("a", 161.0)
    assert throttle.retry_after("a", 162.0) == 28.0  # 130 and 161: again at the limit


def test_addresses_tracked_are_bounded() -> None:
    throttle = BadTokenThrottle(limit=1, window=60.0, addresses=100)
    for i in range(1000):
        throttle.failed(f"10.0.{i // 256}.{i % 256}", 0.0)
    assert len(throttle._failures) == 100
    assert throttle.retry_after("10.0.3.231", 1.0) > 0  # the most recent are kept
