"""How a live object compares with a manifest the way server-side apply sees it — shared by targets that
skip writes which would change nothing, and by `vessel diff`.

Only the fields the manifest sets count: server defaults, status, and fields or named list items other
managers added are not differences. Lists whose items all have a distinct `name` (containers, env,
ports, volumes…) are matched by name; other lists by position, and a different length is a difference.
Resource quantities of built-in kinds compare by value (`cpu: 0.5` is `500m` live, `memory: 1Gi` is
`1073741824`), since an API server stores them in its canonical spelling (`vessel.model.quantity`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from vessel.model.frozen import thaw
from vessel.model.quantity import is_builtin, is_quantity_field, same_quantity

Keys = tuple[str, ...]

_SERVER_FIELDS = ("status",)
_SERVER_META = ("resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "selfLink")


def matches(live: Mapping[str, Any], manifest: Mapping[str, Any]) -> bool:
    """Whether applying `manifest` over `live` would change nothing."""
    desired = desired_state(manifest)
    return bool(project(live, desired) == desired)


def desired_state(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest as a target applies it: without status and server-managed metadata."""
    body: dict[str, Any] = {k: thaw(v) for k, v in manifest.items() if k not in _SERVER_FIELDS}
    meta = manifest.get("metadata")
    if isinstance(meta, Mapping):
        body["metadata"] = {k: thaw(v) for k, v in meta.items() if k not in _SERVER_META}
    return body


def project(live: Any, desired: Any) -> Any:
    """`live` restricted to the shape of `desired`: what the fields `desired` sets look like live.

    Equal to `desired` exactly when applying `desired` would change nothing (server-side apply):
    keys the desired object does not set are dropped, named list items are matched by name, and a
    quantity field holding the desired quantity in another spelling takes the desired spelling."""
    return _project(live, desired, _quantity_fields(desired), ())


def _quantity_fields(desired: Any) -> Callable[[Keys], bool]:
    if isinstance(desired, Mapping) and is_builtin(desired.get("apiVersion")):
        kind = str(desired.get("kind", ""))
        return lambda keys: is_quantity_field(kind, keys)
    return lambda keys: False


def _project(live: Any, desired: Any, quantity: Callable[[Keys], bool], keys: Keys) -> Any:
    if isinstance(desired, Mapping):
        if not isinstance(live, Mapping):
            return thaw(live)
        return {
            k: _project(live[k], v, quantity, (*keys, k)) if k in live else thaw(v)  # absent: see _empty
            for k, v in desired.items()
            if k in live or _empty(v)
        }
    if isinstance(desired, Sequence) and not isinstance(desired, str):
        if not isinstance(live, Sequence) or isinstance(live, str):
            return thaw(live)
        if _names(desired) is not None and _names(live) is not None:
            return _project_by_name(live, desired, quantity, keys)
        extra = [thaw(item) for item in live[len(desired) :]]
        return [_project(a, b, quantity, keys) for a, b in zip(live, desired, strict=False)] + extra
    if live != desired and quantity(keys) and same_quantity(live, desired):
        return desired
    return thaw(live)


def _empty(value: Any) -> bool:
    """An empty value the server omits (`resources: {}`, `args: []`, `x: null`) is the same as absent."""
    return value is None or (isinstance(value, Mapping | list | tuple) and not value)


def _names(items: Sequence[Any]) -> list[Any] | None:
    """The items' `name`s when there are items and every one is a mapping with a distinct name."""
    if not items or not all(isinstance(i, Mapping) and "name" in i for i in items):
        return None
    names = [i["name"] for i in items]
    return names if len(set(map(str, names))) == len(names) else None


def _project_by_name(
    live: Sequence[Any], desired: Sequence[Any], quantity: Callable[[Keys], bool], keys: Keys
) -> list[Any]:
    by_name = {str(item["name"]): item for item in live}
    found = [(by_name.get(str(item["name"])), item) for item in desired]
    return [_project(live_item, item, quantity, keys) for live_item, item in found if live_item is not None]
