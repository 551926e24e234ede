"""`traits:` or `properties:` written with nothing after it: read as absent, as KubeVela reads it.

YAML reads a key with no value as null. KubeVela's e2e files have `traits:` left empty, and Go's JSON
decoding makes a null list or object an empty one. Vessel drops these nulls before the schema check, so
they mean "none" while the schema stays strict (a list where an object belongs is still refused, saying
`expected object`), and the revision stores the Application without them.
"""

from __future__ import annotations

from typing import Any

_COMPONENT_FIELDS = ("traits", "properties")


def without_empty(data: Any) -> Any:
    """`data` with null `traits`/`properties` of components and null `properties` of traits left out
    (anything not shaped like an Application is returned as it is, for the schema to judge)."""
    spec = data.get("spec") if isinstance(data, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("components"), list):
        return data
    components = spec["components"]
    cleaned = [_component(c) for c in components]
    return {**data, "spec": {**spec, "components": cleaned}}


def _component(raw: Any) -> Any:
    if not isinstance(raw, dict):
        return raw
    out = {k: v for k, v in raw.items() if not (k in _COMPONENT_FIELDS and v is None)}
    if isinstance(out.get("traits"), list):
        out["traits"] = [_trait(t) for t in out["traits"]]
    return out


def _trait(raw: Any) -> Any:
    if not isinstance(raw, dict):
        return raw
    return {k: v for k, v in raw.items() if not (k == "properties" and v is None)}
