"""Capped exponential backoff for transient step failures (persisted as the step's `errors` count)."""

from __future__ import annotations

BASE_SECONDS = 1.0
CAP_SECONDS = 60.0
MAX_ERRORS = 10  # consecutive transient failures before a step gives up (KubeVela retries 10 times)


def delay(errors: int, base: float = BASE_SECONDS, cap: float = CAP_SECONDS) -> float:
    """Seconds to wait after the `errors`-th consecutive failure: base, 2·base, 4·base… up to cap."""
    return float(min(cap, base * (2 ** max(0, errors - 1))))
