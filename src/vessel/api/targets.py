"""`GET /api/v1/targets`: every target with its settings, whether it is the default and whether it
answers now — the document `vessel target list -o json` prints (`controller.targets.target_list`).
A target's settings hold names and paths (a kubeconfig's path, never its contents)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from vessel.api.auth import caller, state_of
from vessel.controller.targets import target_list

router = APIRouter(prefix="/api/v1", tags=["targets"], dependencies=[Depends(caller)])  # a token, always


@router.get("/targets", summary="Targets (vessel target list -o json)")
def list_targets(request: Request) -> list[dict[str, Any]]:
    return target_list(state_of(request).controller())
