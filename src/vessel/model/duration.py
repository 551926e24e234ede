"""Go-style durations (`30s`, `1m30s`, `2h`), the format KubeVela's `timeout` and `duration` use."""

from __future__ import annotations

import re

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
PATTERN = r"^((\d+(\.\d+)?)(ns|us|µs|ms|s|m|h))+$"


def parse_duration(text: str) -> float:
    """Seconds in a Go duration string; ValueError if it is not one."""
    if not re.fullmatch(PATTERN, text):
        raise ValueError(f"{text!r} is not a duration like 30s, 5m or 1h30m")
    return sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
