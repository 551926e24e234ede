"""A native `helmchart`'s values: `valuesFrom` ConfigMaps and Secrets of the cluster, then `values`.

As KubeVela's helm provider merges them: each `valuesFrom` entry in order (a later one wins on conflict),
then the inline `values` over all of them; maps merge key by key at every depth, a list is replaced whole,
and `null` is kept as a value (Helm then drops the chart default it stands for). The chart's own
`values.yaml` is under all of this, as Helm merges it.

Sources are read from the cluster of the target the component is delivered to (KubeVela reads its
control-plane cluster; Vessel's equivalent is the target, since each target is a cluster of its own).
A source's namespace defaults to the release namespace, and may only be that or the application's:
KubeVela's guard against reading another tenant's Secrets, kept because `vessel server` serves several
teams. `key` (default `values.yaml`) names the entry under `data` whose text is YAML values.

A missing object or key is an error naming the entry, unless `optional: true`; a malformed one always is.
Where there is no cluster (the `local`, `directory` and `memory` targets) a source cannot be read: an
error says to put the values inline, unless the entry is optional. The checks `vessel up` makes before
delivering read what exists and skip what does not (an earlier component may create it); previews
(`vessel dry-run`) read nothing and render with the inline values, as KubeVela's admission dry-run does.
A Secret's text never appears in a message.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

from vessel.definitions.target_reads import ObjectReader, TargetReads
from vessel.errors import ChartError, VesselError
from vessel.helm.sandbox import HERE
from vessel.model.frozen import thaw
from vessel.model.resource_key import ResourceKey
from vessel.model.yaml_source import read_text

DEFAULT_KEY = "values.yaml"


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on `base`: maps merge at every depth, anything else (lists, null) replaces."""
    out = dict(base)
    for key, value in over.items():
        below = out.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            out[key] = merge(below, value)
        else:
            out[key] = thaw(value)
    return out


def chart_values(
    parameter: Mapping[str, Any], release_namespace: str, app_namespace: str, reads: TargetReads | None
) -> dict[str, Any]:
    """The values the chart is rendered with."""
    merged: dict[str, Any] = {}
    sources: Sequence[Mapping[str, Any]] = parameter.get("valuesFrom") or ()
    for index, source in enumerate(sources):
        entry = _Entry(index, source, release_namespace, app_namespace)
        found = entry.read(reads)
        if found is not None:
            merged = merge(merged, found)
    return merge(merged, parameter.get("values") or {})


class _Entry:
    def __init__(self, index: int, source: Mapping[str, Any], release_ns: str, app_ns: str):
        self.field = f"valuesFrom[{index}]"
        self.kind = str(source["kind"])
        self.name = str(source["name"])
        self.key = str(source.get("key") or DEFAULT_KEY)
        self.optional = bool(source.get("optional"))
        self.namespace = str(source.get("namespace") or release_ns)
        if self.namespace not in (release_ns, app_ns):
            raise ChartError(
                f"{self.field}.namespace: {self.kind} {self.name} may only be read from the release "
                f"namespace {release_ns!r} or the application's {app_ns!r}, not {self.namespace!r}",
                HERE,
                "copy the values into one of those namespaces",
            )

    @property
    def what(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    def read(self, reads: TargetReads | None) -> dict[str, Any] | None:
        """The values this entry holds; None when it adds nothing (a preview, or optional and absent)."""
        if reads is None:
            return None
        if reads.reader is None:
            self._missing(
                f"target {reads.target!r} has no Kubernetes cluster to read {self.what} from",
                "put these values under `values` instead, or deliver to a Kubernetes target",
            )
            return None
        try:
            return self._from(reads.reader, reads.target)
        except VesselError:
            if reads.lenient:  # a check before delivering: it may be there by then
                return None
            raise

    def _from(self, reader: ObjectReader, target: str) -> dict[str, Any] | None:
        live = reader.get(ResourceKey("v1", self.kind, self.namespace, self.name))
        if live is None:
            self._missing(
                f"{self.what} does not exist on target {target!r}", "create it, or set optional: true"
            )
            return None
        data = live.get("data") or {}
        if self.key not in data:
            if self.key in (live.get("binaryData") or {}):
                raise ChartError(
                    f"{self.field}.key: {self.what} holds {self.key!r} under binaryData; values must be text "
                    "under data",
                    HERE,
                )
            have = ", ".join(sorted(map(str, data))) or "none"
            self._missing(
                f"{self.what} has no key {self.key!r} under data (it has: {have})",
                "set key to the one holding the YAML values, or optional: true",
            )
            return None
        return self._parse(self._text(data[self.key]))

    def _missing(self, message: str, hint: str) -> None:
        """Raise, unless the entry is optional (then the caller adds nothing)."""
        if not self.optional:
            raise ChartError(f"{self.field}: {message}", HERE, hint)

    def _text(self, raw: Any) -> str:
        if self.kind != "Secret":
            return str(raw)
        try:
            return base64.b64decode(str(raw), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ChartError(f"{self.field}: {self.what} key {self.key!r} is not UTF-8 text", HERE) from None

    def _parse(self, text: str) -> dict[str, Any]:
        origin = f"{self.what} key {self.key}"
        try:
            documents = read_text(text, origin)
        except VesselError as exc:
            detail = f" (line {exc.location.line})" if exc.location.line else ""
            said = "" if self.kind == "Secret" else f": {exc.message}"  # a Secret's text is never shown
            raise ChartError(f"{self.field}: {origin} is not valid YAML{detail}{said}", HERE) from None
        data = thaw(documents[0].data) if documents else None
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ChartError(f"{self.field}: {origin} is not a mapping of values", HERE)
        return data
