"""Field sets for server-side apply: paths, `fieldsV1` encoding, keyed-list merging and field removal.

A path is a tuple of fieldsV1 elements: `("f:spec", "f:template", ..., 'k:{"name":"web"}', "f:image")`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

Path = tuple[str, ...]
FieldSet = frozenset[Path]
MISSING: Any = object()

_MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "volumes": ("name",),
    "env": ("name",),
    "imagePullSecrets": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "conditions": ("type",),
    "hostAliases": ("ip",),
    "ports": ("containerPort", "port"),  # container ports, then service ports
}
_META_OWNED = ("labels", "annotations", "finalizers", "ownerReferences")


def list_key(field: str, items: Any) -> str | None:
    """The merge key of list `field` if every item carries it, else None (an atomic list)."""
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in _MERGE_KEYS.get(field, ()):
        if all(key in i for i in items):
            return key
    return None


def key_element(key: str, item: dict[str, Any]) -> str:
    return "k:" + json.dumps({key: item[key]}, sort_keys=True, separators=(",", ":"))


def owned_view(obj: dict[str, Any], subresource: str = "") -> dict[str, Any]:
    """The part of an object that field managers own (identity and bookkeeping fields are nobody's)."""
    if subresource == "status":
        return {"status": obj["status"]} if "status" in obj else {}
    view = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata", "status")}
    md = {k: v for k, v in (obj.get("metadata") or {}).items() if k in _META_OWNED}
    if md:
        view["metadata"] = md
    return view


def paths(value: dict[str, Any], keyed: bool, prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    for k, v in value.items():
        p = (*prefix, "f:" + k)
        mk = list_key(k, v) if keyed else None
        if isinstance(v, dict) and v:
            out |= paths(v, keyed, p)
        elif mk:
            for item in v:
                ip = (*p, key_element(mk, item))
                out.add(ip)
                out |= paths(item, keyed, ip)
        else:
            out.add(p)
    return out


def get(obj: Any, path: Path) -> Any:
    cur = obj
    for el in path:
        if el.startswith("f:") and isinstance(cur, dict):
            cur = cur.get(el[2:], MISSING)
        elif el.startswith("k:") and isinstance(cur, list):
            want = json.loads(el[2:])
            cur = next(
                (i for i in cur if isinstance(i, dict) and all(i.get(k) == v for k, v in want.items())),
                MISSING,
            )
        else:
            return MISSING
        if cur is MISSING:
            return MISSING
    return cur


def remove(obj: dict[str, Any], path: Path) -> None:
    """Remove `path`, then any dict or list the removal left empty (Go's omitempty)."""
    parent = get(obj, path[:-1]) if len(path) > 1 else obj
    el = path[-1]
    if isinstance(parent, dict) and el.startswith("f:"):
        parent.pop(el[2:], None)
    elif isinstance(parent, list) and el.startswith("k:"):
        target = get(obj, path)
        parent[:] = [i for i in parent if i is not target]
    else:
        return
    if len(path) > 1 and not parent:
        remove(obj, path[:-1])


def merge(live: Any, cfg: Any, keyed: bool, field: str = "") -> Any:
    """Apply semantics: maps merge recursively, keyed lists merge item by item, anything else is replaced."""
    if isinstance(live, dict) and isinstance(cfg, dict):
        out = dict(live)
        for k, v in cfg.items():
            out[k] = merge(live[k], v, keyed, k) if k in live else copy.deepcopy(v)
        return out
    mk = list_key(field, cfg) if keyed else None
    if mk and isinstance(live, list) and all(isinstance(i, dict) and mk in i for i in live):
        result = list(live)
        for item in cfg:
            idx = next((n for n, i in enumerate(result) if i[mk] == item[mk]), None)
            if idx is None:
                result.append(copy.deepcopy(item))
            else:
                result[idx] = merge(result[idx], item, keyed)
        return result
    return copy.deepcopy(cfg)


def merge_patch(live: Any, patch: Any, keyed: bool = False, field: str = "") -> Any:
    """RFC 7386 JSON merge patch; with `keyed`, a strategic merge patch (lists merge by key)."""
    if not isinstance(patch, dict):
        mk = list_key(field, patch) if keyed else None
        if mk and isinstance(live, list):
            return merge(live, patch, True, field)
        return copy.deepcopy(patch)
    out = dict(live) if isinstance(live, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v, keyed, k)
    return out


def to_fields_v1(fields: FieldSet) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for p in sorted(fields):
        node = root
        for el in p:
            node = node.setdefault(el, {})
    for p in fields:  # an owned path that also has owned children is marked with "."
        node = root
        for el in p:
            node = node[el]
        if any(k != "." for k in node):
            node["."] = {}
    return root


def from_fields_v1(tree: dict[str, Any], prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    for k, v in tree.items():
        if k == ".":
            out.add(prefix)
        elif isinstance(v, dict) and v:
            out |= from_fields_v1(v, (*prefix, k))
        else:
            out.add((*prefix, k))
    return out


def describe(path: Path) -> str:
    """`.spec.template.spec.containers[name="web"].image`, as conflict messages print paths."""
    out = ""
    for el in path:
        if el.startswith("f:"):
            out += "." + el[2:]
        else:
            out += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in json.loads(el[2:]).items()) + "]"
    return out
