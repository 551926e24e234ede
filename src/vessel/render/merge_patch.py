"""The other two patch strategies a trait may choose: RFC 6902 JSON Patch and RFC 7386 JSON Merge Patch."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jsonpatch
import jsonpointer

from vessel.errors import RenderError, Where


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


def json_patch(target: Any, operations: Any, what: str, where: Where) -> Any:
    """RFC 6902 operations (add, remove, replace, move, copy, test) applied to a copy of `target`."""
    if not isinstance(operations, list):
        raise RenderError(f"{what}: a jsonPatch patch must be a list of operations", where)
    try:
        return jsonpatch.JsonPatch(operations).apply(target, in_place=False)
    except jsonpatch.JsonPatchTestFailed as exc:
        raise RenderError(f"{what}: JSON patch test failed: {_plain(exc)}", where) from None
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, KeyError, TypeError) as exc:
        raise RenderError(f"{what}: JSON patch failed: {_plain(exc)}", where) from None


def _plain(exc: Exception) -> str:
    """The library's message without Python type reprs like `(<class 'str'>)`."""
    return re.sub(r"\s*\(<class '[^']+'>\)", "", str(exc))
