"""A target whose failed requests are told to someone (the server's metrics count them by class).

It stands in for the live target: every attribute is the target's own, and the requests — apply, get,
delete, list, logs, instances, status, versions, cluster reads — also report an exception before it
propagates. The optional protocols (`LabelListing`, `ClusterReading`, `Versioned`) are judged by the
attributes present, so the stand-in offers exactly what the target offers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from vessel.targets.protocol import Target

REQUESTS = frozenset(
    {
        "apply",
        "get",
        "delete",
        "list_owned",
        "logs",
        "instances",
        "cluster_version",
        "status",
        "list_labelled",
        "read_cluster_object",
        "live_version",
        "live_state",
    }
)


class CountedTarget:
    def __init__(self, name: str, target: Target, on_error: Callable[[str, BaseException], None]):
        self._name = name
        self._target = target
        self._on_error = on_error

    def __getattr__(self, attribute: str) -> Any:
        found = getattr(self._target, attribute)
        if attribute not in REQUESTS or not callable(found):
            return found

        @functools.wraps(found)
        def counted(*args: Any, **kwargs: Any) -> Any:
            try:
                return found(*args, **kwargs)
            except Exception as exc:
                self._on_error(self._name, exc)
                raise

        setattr(self, attribute, counted)  # a method stays the same: wrapped once, then found directly
        return counted
