"""Bounded caches: what a long-running process may keep, capped by entries *and* by bytes.

A server or `vessel run` lives for weeks and sees tens of thousands of applications, revisions and
templates. Every cache it keeps must therefore have a bound on what it holds, not only on how many
entries: 4,096 parsed template skeletons are nothing when each is 2 KiB and a lot when a hostile
definition makes each 1 MiB. `BoundedCache` evicts the least recently used entries until both the entry
count and the total of the sizes its caller declares are within bounds. It is thread-safe: renders and
health checks run on several threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass(frozen=True)
class CacheInfo:
    entries: int
    size: int
    hits: int
    misses: int


class BoundedCache(Generic[V]):
    """An LRU map bounded by entry count and by the total declared size of its values."""

    def __init__(self, max_entries: int, max_size: int):
        self.max_entries = max_entries
        self.max_size = max_size
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._size = 0
        self._hits = self._misses = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self._misses += 1
                return None
            self._items.move_to_end(key)
            self._hits += 1
            return found[0]

    def put(self, key: Hashable, value: V, size: int) -> V:
        """Keep `value` (unless it alone is larger than the bound) and return it."""
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= old[1]
            if size <= self.max_size:
                self._items[key] = (value, size)
                self._size += size
                self._evict()
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], V], size_of: Callable[[V], int]) -> V:
        """The cached value for `key`, made (outside the lock) and kept if it was not there."""
        found = self.get(key)
        if found is not None:
            return found
        value = make()
        return self.put(key, value, size_of(value))

    def pop(self, key: Hashable) -> None:
        """Forget `key` (what it named no longer exists)."""
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= old[1]

    def _evict(self) -> None:
        while self._items and (len(self._items) > self.max_entries or self._size > self.max_size):
            _, (_, size) = self._items.popitem(last=False)
            self._size -= size

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0
            self._hits = self._misses = 0

    def info(self) -> CacheInfo:
        with self._lock:
            return CacheInfo(len(self._items), self._size, self._hits, self._misses)

    def __len__(self) -> int:
        return len(self._items)
