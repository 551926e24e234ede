"""apiVersion + kind -> the REST resource serving it, from the API server's discovery endpoints.

Each group/version's resource list (`/api/v1`, `/apis/<group>/<version>`) is fetched on first need and
cached; a kind missing from a cached list triggers one refetch of that list, so kinds defined by CRDs
applied after the first lookup are found. Subresources (`deployments/status`) are skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from vessel.model.resource_key import canonical_kind


@dataclass(frozen=True, order=True)
class ApiResource:
    api_version: str  # "v1", "apps/v1"
    kind: str
    plural: str
    namespaced: bool
    verbs: frozenset[str]

    def path(self, namespace: str = "", name: str = "") -> str:
        """The collection (no name) or object URL path; no namespace on a namespaced kind: all namespaces."""
        base = group_version_path(self.api_version)
        scope = f"/namespaces/{quote(namespace, safe='')}" if self.namespaced and namespace else ""
        tail = f"/{quote(name, safe='')}" if name else ""
        return f"{base}{scope}/{self.plural}{tail}"


def group_version_path(api_version: str) -> str:
    """`/api/v1` for the core group, `/apis/<group>/<version>` for the others."""
    parts = "/".join(quote(p, safe="") for p in api_version.split("/"))
    return f"/apis/{parts}" if "/" in api_version else f"/api/{parts}"


# Fetches a discovery document by path: its JSON, or None when the group/version is not served (404).
Fetch = Callable[[str], Mapping[str, Any] | None]


class Discovery:
    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._lists: dict[str, dict[str, ApiResource]] = {}  # api_version -> kind -> resource
        self._lock = threading.Lock()

    def find(self, api_version: str, kind: str) -> ApiResource | None:
        """The resource serving `kind` in `api_version`, or None when the server does not serve it."""
        with self._lock:
            cached = self._lists.get(api_version)
        if cached is not None and kind in cached:
            return cached[kind]
        fresh = self._load(api_version)  # first lookup, or a miss: look again once
        return fresh.get(kind)

    def spelled_otherwise(self, api_version: str, kind: str) -> str | None:
        """The kind `api_version` serves that differs from `kind` only in case, if one does (after a miss
        by `find`, so the list is fresh). Kinds are case-sensitive to the API server."""
        with self._lock:
            kinds = list(self._lists.get(api_version, {}))
        folded = canonical_kind(kind)
        return next((k for k in kinds if canonical_kind(k) == folded), None)

    def cached(self) -> list[ApiResource]:
        """Every resource found so far."""
        with self._lock:
            return sorted(r for kinds in self._lists.values() for r in kinds.values())

    def _load(self, api_version: str) -> dict[str, ApiResource]:
        parts = api_version.split("/")
        if len(parts) > 2 or any(p in ("", ".", "..") for p in parts):
            return {}
        doc = self._fetch(group_version_path(api_version))
        kinds: dict[str, ApiResource] = {}
        for entry in (doc or {}).get("resources") or []:
            if not isinstance(entry, Mapping) or "/" in str(entry.get("name", "")):
                continue
            kinds[str(entry.get("kind"))] = ApiResource(
                api_version,
                str(entry.get("kind")),
                str(entry.get("name")),
                bool(entry.get("namespaced")),
                frozenset(str(v) for v in entry.get("verbs") or ()),
            )
        with self._lock:
            self._lists[api_version] = kinds
        return kinds
