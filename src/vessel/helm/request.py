"""What the parent asks of the chart renderer, and what it answers: one JSON document each way.

JSON rather than pickle: the child reads untrusted bytes from the network, and the parent must never
unpickle anything the child produced. The reply is plain text (the rendered files), parsed by the parent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from vessel.helm.limits import DEFAULT_CHART_LIMITS, ChartLimits

# Reply failure kinds
UNREACHABLE = "unreachable"  # the repository could not be reached or did not answer in time: transient
CHART = "chart"  # the chart, its version or its templates are wrong: terminal
VALUES = "values"  # the values fail the chart's values.schema.json: terminal
OVER_CAP = "cap"  # a download or the output went over a cap: terminal


@dataclass(frozen=True)
class ChartRequest:
    """Render `chart` from `url` (a repository, an OCI reference, an archive's URL or a path) with
    `values`; `include_crds`: the chart's crds/ too."""

    repo_type: str  # "helm" (an HTTP chart repository), "oci", "url" (an archive's URL) or "path"
    url: str
    chart: str
    version: str  # a semver constraint ("" or "*": the newest stable version)
    values: dict[str, Any] = field(default_factory=dict)
    release: str = ""
    namespace: str = "default"
    insecure: bool = False  # OCI: plain HTTP to the registry (one without TLS)
    include_crds: bool = True
    limits: ChartLimits = DEFAULT_CHART_LIMITS

    def to_json(self) -> str:
        return json.dumps({**self._fields(), "limits": self.limits.as_dict()}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ChartRequest:
        raw = json.loads(text)
        limits = ChartLimits.from_dict(raw.pop("limits"))
        return cls(**raw, limits=limits)

    def cache_key(self) -> str:
        return json.dumps(self._fields(), sort_keys=True, separators=(",", ":"))

    def _fields(self) -> dict[str, Any]:
        return {
            "repo_type": self.repo_type,
            "url": self.url,
            "chart": self.chart,
            "version": self.version,
            "values": self.values,
            "release": self.release,
            "namespace": self.namespace,
            "insecure": self.insecure,
            "include_crds": self.include_crds,
        }


@dataclass(frozen=True)
class RenderedChart:
    """A chart's rendered files, CRDs first, each as (its path in the chart, its text)."""

    name: str
    version: str
    files: tuple[tuple[str, str], ...]


class ChartFailure(Exception):
    """The renderer could not render; `kind` is one of the failure kinds above."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def encode_reply(result: RenderedChart | ChartFailure) -> str:
    if isinstance(result, ChartFailure):
        return json.dumps({"failure": result.kind, "message": result.message})
    return json.dumps({"name": result.name, "version": result.version, "files": list(result.files)})


def decode_reply(text: str) -> RenderedChart:
    """The rendered chart; ChartFailure if the child failed, ValueError if `text` is not a reply."""
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("not a reply")
    if "failure" in raw:
        raise ChartFailure(str(raw["failure"]), str(raw.get("message", "")))
    files = raw.get("files")
    if not isinstance(files, list) or not all(_is_file(f) for f in files):
        raise ValueError("not a reply")
    return RenderedChart(str(raw.get("name", "")), str(raw.get("version", "")), tuple(map(tuple, files)))


def _is_file(item: Any) -> bool:
    return isinstance(item, list) and len(item) == 2 and all(isinstance(part, str) for part in item)
