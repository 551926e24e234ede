"""Strategic merge: how a trait's `patch` lands on a component's workload.

Maps merge recursively; `null` deletes a field; lists of objects merge by a key (containers by
`name`, env by `name`, ports by `containerPort`…) instead of being replaced, so a trait adds a sidecar
without erasing the app container. Kubernetes' directives work too: `$patch: replace` on a map or as a
list item replaces instead of merging, `$patch: delete` on a keyed list item or a map removes it.
Lists without a merge key are replaced. Inputs are never mutated; unchanged subtrees are shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MergeKeys = Mapping[str, tuple[str, ...]]

# Field name -> candidate merge keys, the first one present in a patch item wins (Service ports are keyed
# by `port`, container ports by `containerPort`). These follow the Kubernetes API's patchMergeKey tags.
DEFAULT_MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "ports": ("containerPort", "port"),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "imagePullSecrets": ("name",),
    "hostAliases": ("ip",),
    "resourceClaims": ("name",),
    "schedulingGates": ("name",),
    "conditions": ("type",),
}

DIRECTIVE = "$patch"
_DELETE = object()


def strategic_merge(target: Any, patch: Any, merge_keys: MergeKeys = DEFAULT_MERGE_KEYS) -> Any:
    """`target` with `patch` merged in (a new value; neither input is changed)."""
    result = _merge(target, patch, merge_keys, None)
    return None if result is _DELETE else result


def _merge(target: Any, patch: Any, keys: MergeKeys, field: str | None) -> Any:
    if isinstance(patch, Mapping):
        directive = patch.get(DIRECTIVE)
        if directive == "delete":
            return _DELETE
        if directive == "replace" or not isinstance(target, Mapping):
            return clean(patch)
        return _merge_maps(target, patch, keys)
    if isinstance(patch, list) and isinstance(target, list):
        return _merge_lists(target, patch, keys, field)
    return clean(patch)


def _merge_maps(target: Mapping[str, Any], patch: Mapping[str, Any], keys: MergeKeys) -> dict[str, Any]:
    out = dict(target)
    for key, value in patch.items():
        if key == DIRECTIVE:
            continue
        if value is None:
            out.pop(key, None)
            continue
        merged = _merge(out[key], value, keys, key) if key in out else clean(value)
        if merged is _DELETE:
            out.pop(key, None)
        else:
            out[key] = merged
    return out


def _merge_lists(target: list[Any], patch: list[Any], keys: MergeKeys, field: str | None) -> list[Any]:
    if any(
        isinstance(item, Mapping) and item.get(DIRECTIVE) == "replace" and len(item) == 1 for item in patch
    ):
        return [clean(item) for item in patch if not (isinstance(item, Mapping) and DIRECTIVE in item)]
    candidates = keys.get(field or "", ())
    if not candidates or not all(isinstance(item, Mapping) for item in patch):
        return [clean(item) for item in patch]
    out = list(target)
    for item in patch:
        key = next((k for k in candidates if k in item), None)
        if key is None:
            out.append(clean(item))
            continue
        index = next(
            (i for i, t in enumerate(out) if isinstance(t, Mapping) and t.get(key) == item[key]), None
        )
        if item.get(DIRECTIVE) == "delete":
            if index is not None:
                del out[index]
        elif index is None:
            out.append(clean(item))
        else:
            out[index] = _merge(out[index], item, keys, field)
    return out


def clean(value: Any) -> Any:
    """A value with every `$patch` directive removed (directives never reach the API server)."""
    if isinstance(value, Mapping):
        return {k: clean(v) for k, v in value.items() if k != DIRECTIVE}
    if isinstance(value, list):
        return [clean(v) for v in value if not (isinstance(v, Mapping) and set(v) == {DIRECTIVE})]
    return value
