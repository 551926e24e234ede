"""`GET /applications/{namespace}/{name}/revisions[?left=N&right=M]`: every revision kept (`vessel revision
list`), with "roll back to this" for each but the current one, and the Applications of any two side by
side with their differences marked (default: the one before the current against the current).

A revision is shown as the Application it snapshotted, as YAML; a Secret written in it has its values
masked and every other secret value this process knows is redacted, as every read path shows them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from vessel.api.auth import state_of
from vessel.api.permissions import may
from vessel.controller.views import revision_list
from vessel.dashboard.session import page_user
from vessel.dashboard.templates import page
from vessel.errors import NotFoundError
from vessel.model.redaction import shown
from vessel.store.accounts import UserRecord

router = APIRouter(prefix="/applications/{namespace}/{name}", include_in_schema=False)


@dataclass(frozen=True)
class Line:
    """One row of a side-by-side diff: the left and right line numbers and texts; `change` is
    "equal", "replace", "delete" (left only) or "insert" (right only)."""

    change: str
    left_number: int | None
    left: str
    right_number: int | None
    right: str


def side_by_side(left: str, right: str) -> list[Line]:
    a, b = left.splitlines(), right.splitlines()
    rows: list[Line] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            rows.append(
                Line(
                    tag,
                    i + 1 if i < i2 else None,
                    a[i] if i < i2 else "",
                    j + 1 if j < j2 else None,
                    b[j] if j < j2 else "",
                )
            )
    return rows


def as_yaml(spec: Any) -> str:
    return yaml.safe_dump(_masked(spec), sort_keys=False, default_flow_style=False, allow_unicode=True)


def _masked(value: Any) -> Any:
    """Every Secret anywhere in `value` masked, every known secret value redacted."""
    if isinstance(value, dict):
        return shown({k: _masked(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return shown(value)


def _revisions(
    request: Request, user: UserRecord, namespace: str, name: str, left: int | None, right: int | None
) -> dict[str, Any]:
    ctl = state_of(request).controller()
    app = ctl.find(namespace, name)
    listed = revision_list(ctl, app)
    numbers = [r["revision"] for r in listed]
    right = right if right is not None else app.revision
    left = left if left is not None else max((n for n in numbers if n < right), default=right)
    for side, number in (("left", left), ("right", right)):
        if number not in numbers:
            raise NotFoundError(f"{side}: {name} has no revision {number}", hint=f"revisions: {numbers}")
    texts = {n: as_yaml(ctl.store.revision(app.id, n).spec) for n in {left, right}}
    return {
        "app": app,
        "revisions": list(reversed(listed)),
        "left": left,
        "right": right,
        "rows": side_by_side(texts[left], texts[right]),
        "may_roll_back": may(request, user, namespace, "workflow.operate"),
        "base": f"/applications/{namespace}/{name}",
    }


@router.get("/revisions", response_class=HTMLResponse)
async def revisions(
    request: Request,
    namespace: str,
    name: str,
    user: Annotated[UserRecord, Depends(page_user)],
    left: Annotated[int | None, Query(ge=1)] = None,
    right: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    shown_ = await run_in_threadpool(_revisions, request, user, namespace, name, left, right)
    return page(request, "revisions.html", **shown_)
