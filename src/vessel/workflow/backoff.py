"""Capped exponential backoff for transient step failures (persisted as the step's `errors` count).

How long until a step gives up, from its first failure: the waits after failures 1 … n-1, i.e.
`sum(delay(e) for e in range(1, n))`. With the defaults, an unreachable target is given
1+2+4+8+16+32+60+60+60 = 243 s (MAX_ERRORS = 10). A failing workload (a crash loop, a command that
cannot start, an image that cannot be pulled) is given 1+2+4+8 = 15 s (FAILING_WORKLOAD_ERRORS = 5): it
rarely heals by itself, and `vessel up` must say so within seconds, not minutes. For the local target add
the time to notice the first crash — one health poll (2 s) — so an app that exits at once fails its
deploy step about 17 s after it started. A step's `timeout` still bounds either.
"""

from __future__ import annotations

BASE_SECONDS = 1.0
CAP_SECONDS = 60.0
MAX_ERRORS = 10  # consecutive transient failures before a step gives up (KubeVela retries 10 times)
FAILING_WORKLOAD_ERRORS = 5  # consecutive passes that find a component failing before its step gives up


def delay(errors: int, base: float = BASE_SECONDS, cap: float = CAP_SECONDS) -> float:
    """Seconds to wait after the `errors`-th consecutive failure: base, 2·base, 4·base… up to cap."""
    return float(min(cap, base * (2 ** max(0, errors - 1))))
