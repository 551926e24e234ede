"""`GET /api/v1/stats[?since=30d&namespace=NS&name=NAME]`: the four delivery keys, as `vessel stats -o
json` prints them (controller/stats.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from vessel.api.auth import caller, state_of
from vessel.controller.accounts import expiry_seconds
from vessel.controller.stats import delivery_keys

router = APIRouter(prefix="/api/v1", tags=["stats"], dependencies=[Depends(caller)])  # a token, always


@router.get("/stats", summary="Delivery keys (vessel stats -o json)")
def stats(
    request: Request,
    since: Annotated[str, Query(description="How far back: 30d, 12h, 90m…")] = "30d",
    namespace: str = "default",
    name: Annotated[str | None, Query(description="One application (default: all).")] = None,
) -> dict[str, Any]:
    ctl = state_of(request).controller()
    window = expiry_seconds(since, "since")
    app_id = ctl.find(namespace, name).id if name is not None else None
    return delivery_keys(ctl.store, ctl.clock.now(), window, app_id)
