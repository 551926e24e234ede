"""The other two patch strategies a trait may choose: RFC 6902 JSON Patch and RFC 7386 JSON Merge Patch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonpatch
import jsonpointer

from vessel.errors import RenderError


def json_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null removes, anything else (lists too) replaces."""
    if not isinstance(patch, Mapping):
        return patch
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = json_merge_patch(out.get(key), value)
    return out


def json_patch(target: Any, operations: Any, where: str) -> Any:
    """RFC 6902 operations (add, remove, replace, move, copy, test) applied to a copy of `target`."""
    if not isinstance(operations, list):
        raise RenderError(f"{where}: a jsonPatch patch must be a list of operations")
    try:
        return jsonpatch.JsonPatch(operations).apply(target, in_place=False)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, KeyError, TypeError) as exc:
        raise RenderError(f"{where}: JSON patch failed: {exc}") from None
