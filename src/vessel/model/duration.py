"""Go-style durations (`30s`, `1m30s`, `2h`), the format KubeVela's `timeout` and `duration` use.

As in Go, a duration is at most what int64 nanoseconds hold (about 292 years): a longer one is an
error, not a deadline that overflows a date later. JSON Schemas say `format: go-duration` to have a
string checked with `parse_duration` (`schema_check.FORMATS`); `EXPECTED` is how messages describe it.
"""

from __future__ import annotations

import re

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
PATTERN = r"^((\d+(\.\d+)?)(ns|us|µs|ms|s|m|h))+$"
FORMAT = "go-duration"
EXPECTED = "a duration like 30s, 5m or 1h30m (at most 2562047h)"
MAX_SECONDS = (2**63 - 1) / 1e9  # Go's time.Duration: int64 nanoseconds


def parse_duration(text: str) -> float:
    """Seconds in a Go duration string; ValueError if it is not one."""
    if not isinstance(text, str) or not re.fullmatch(PATTERN, text):
        raise ValueError(f"{text!r} is not {EXPECTED}")
    seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
    if seconds > MAX_SECONDS:
        raise ValueError(f"{text!r} is longer than the longest duration, 2562047h47m16s")
    return seconds
