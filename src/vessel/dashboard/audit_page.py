"""`GET /audit[?before=ID&actor=…]`: the audit log, newest first, a page at a time — admins only, as
`GET /api/v1/audit` (api/permissions.py: `audit.read` is the platform's; anyone else gets 403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from vessel.api.auth import state_of
from vessel.controller.audit import audit_list
from vessel.dashboard.session import page_user
from vessel.dashboard.templates import page
from vessel.store.accounts import UserRecord

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


@router.get("/audit", response_class=HTMLResponse)
def audit(
    request: Request,
    user: Annotated[UserRecord, Depends(page_user)],
    before: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    entries = list(reversed(audit_list(state_of(request).store, PAGE_SIZE, before)))
    older = entries[-1]["id"] if len(entries) == PAGE_SIZE else None
    return page(request, "audit.html", entries=entries, before=before, older=older)
