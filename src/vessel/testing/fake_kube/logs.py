"""Pod log queries as the API server and kubelet answer them: `tailLines`, `sinceSeconds`, `timestamps`.

Each line is kept with the time it was written. As the kubelet does, `tailLines` picks the last lines
first and `sinceSeconds` then drops those older than the cutoff; `timestamps=true` heads each line with
its time in Go's RFC3339Nano (`2024-05-01T12:00:00.123456789Z`, trailing zeros of the fraction dropped).
Invalid values are a 400, as the API server's validation answers them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from vessel.testing.fake_kube.errors import KubeError


@dataclass(frozen=True)
class LogLine:
    at: float  # seconds since the epoch
    text: str


@dataclass(frozen=True)
class LogQuery:
    tail: int | None = None
    since_seconds: int | None = None
    timestamps: bool = False

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> LogQuery:
        return cls(
            _count(query, "tailLines", 0),
            _count(query, "sinceSeconds", 1),
            query.get("timestamps") in ("true", "1"),
        )

    def select(self, lines: list[LogLine]) -> list[LogLine]:
        """The last `tail` lines, then of those the ones written in the last `since_seconds`."""
        if self.tail is not None:
            lines = lines[max(0, len(lines) - self.tail) :] if self.tail > 0 else []
        if self.since_seconds is not None:
            cutoff = time.time() - self.since_seconds
            lines = [line for line in lines if line.at >= cutoff]
        return lines

    def render(self, line: LogLine) -> str:
        return f"{rfc3339nano(line.at)} {line.text}" if self.timestamps else line.text


def _count(query: Mapping[str, str], name: str, least: int) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    if not raw.lstrip("-").isdigit() or int(raw) < least:
        what = "must be greater than 0" if least else "must be greater than or equal to 0"
        raise KubeError(400, "BadRequest", f"{name}: Invalid value: {raw!r}: {what}")
    return int(raw)


def rfc3339nano(moment: float) -> str:
    seconds, micros = divmod(round(moment * 1_000_000), 1_000_000)  # a float holds microseconds, not nanos
    whole = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{micros * 1000:09d}".rstrip("0")
    return f"{whole}.{fraction}Z" if fraction else f"{whole}Z"
