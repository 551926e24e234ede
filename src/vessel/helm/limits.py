"""The caps on fetching and rendering one Helm chart (README "Limits" and docs/helm.md list them).

A chart is a program written by someone else (Go templates with loops and recursion), fetched from a
server someone else runs. Rendering one runs in a child process (`renderer.py`) that the kernel holds to
`cpu_seconds` of CPU time and `memory_bytes` of memory beyond what it holds once Helm is loaded; the parent
stops it after `wall_seconds` whatever it is doing. What it may download and hand back is capped too.
These are larger than a definition template's caps (`definitions/limits.py`): real charts are big (a
monitoring stack renders megabytes from hundreds of templates), and starting Helm itself costs ~0.3 s.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from vessel.definitions.limits import MIB


@dataclass(frozen=True)
class ChartLimits:
    """Caps for fetching and rendering one chart."""

    cpu_seconds: float = 20.0  # the child's CPU time: fetching, loading and rendering together
    memory_bytes: int = 768 * MIB  # what the child may allocate once Helm is loaded
    wall_seconds: float = 90.0  # the child is stopped after this long, whatever it is doing
    network_seconds: float = 15.0  # one connection attempt or read from the repository
    index_bytes: int = 64 * MIB  # a repository's index.yaml (large public repositories reach ~20 MiB)
    archive_bytes: int = 32 * MIB  # one chart archive (.tgz)
    output_bytes: int = 8 * MIB  # the rendered manifests, together
    objects: int = 2_000  # objects a chart may render

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ChartLimits:
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})


DEFAULT_CHART_LIMITS = ChartLimits()
