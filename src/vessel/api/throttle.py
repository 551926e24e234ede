"""Repeated bad tokens are rate-limited: an address that sent `limit` bad tokens within `window`
seconds gets 429 (with `Retry-After`) for every request that needs a token until the oldest of those
failures is `window` old — good tokens included, or a guess that succeeded would show as a 200 among the
429s and the limit would bound nothing. The probes, which need no token, are never limited.

In memory, per process, and bounded: at most `addresses` addresses are tracked (the least recently
failing forgotten first), so a flood of addresses cannot grow it without end.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque

LIMIT = 10  # bad tokens …
WINDOW_S = 60.0  # … within this many seconds
ADDRESSES = 10_000


class BadTokenThrottle:
    def __init__(self, limit: int = LIMIT, window: float = WINDOW_S, addresses: int = ADDRESSES):
        self.limit = limit
        self.window = window
        self.addresses = addresses
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, address: str, now: float) -> float:
        """Seconds until `address` may try again (0: it may now)."""
        with self._lock:
            failures = self._failures.get(address, ())
            if len(failures) < self.limit:
                return 0.0
            return max(0.0, failures[-self.limit] + self.window - now)

    def failed(self, address: str, now: float) -> None:
        """One more bad token from `address`; only the last `limit` failures are kept."""
        with self._lock:
            failures = self._failures.get(address, deque())
            failures.append(now)
            while len(failures) > self.limit:
                failures.popleft()
            self._failures[address] = failures
            self._failures.move_to_end(address)
            while len(self._failures) > self.addresses:
                self._failures.popitem(last=False)
