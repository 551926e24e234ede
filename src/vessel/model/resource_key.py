"""The identity of one delivered object: (apiVersion, kind, namespace, name).

A key keeps the kind as it was written (messages and targets use that spelling) but is *identified* by
its canonical form, `canonical_kind`: the kind with ASCII letters lowered. Kubernetes never serves two
kinds of one group that differ only in case (a CRD's singular name is its lowered kind and must be
unique), and the directory and local targets name files and folders by the lowered kind, so
`Deployment` and `deployment` are one object everywhere. Comparing spellings instead let one application
find another's object on a target while the inventory said nobody held it ("belongs to no Vessel
application"). Equality, hashing and ordering all go through `identity`, and the store keeps the
canonical kind in its key column (`store.store`), so this module is the one place that says what the
same object is.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def canonical_kind(kind: str) -> str:
    """The kind as keys compare it: ASCII letters lowered. Kubernetes kinds are ASCII (their lowered form
    is a DNS label); anything else is kept as written, so no locale ever decides what is equal."""
    return kind.lower() if kind.isascii() else kind


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class ResourceKey:
    api_version: str
    kind: str
    namespace: str
    name: str

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What makes two keys the same object: the kind in its canonical form."""
        return (self.api_version, canonical_kind(self.kind), self.namespace, self.name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ResourceKey):
            return NotImplemented
        return self.identity == other.identity

    def __hash__(self) -> int:
        return hash(self.identity)

    def __lt__(self, other: ResourceKey) -> bool:
        if not isinstance(other, ResourceKey):
            return NotImplemented
        return (self.identity, self.kind) < (other.identity, other.kind)

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}.{self.api_version} {where}{self.name}"

    @classmethod
    def of(cls, manifest: Mapping[str, Any]) -> ResourceKey:
        meta = manifest.get("metadata") or {}
        return cls(
            str(manifest.get("apiVersion", "")),
            str(manifest.get("kind", "")),
            str(meta.get("namespace") or ""),
            str(meta.get("name", "")),
        )
