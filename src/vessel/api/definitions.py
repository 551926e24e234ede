"""`GET /api/v1/definitions` and `GET /api/v1/definitions/{name}[?kind=…]`: the server's definitions
(built-ins, plugins, VESSEL_DEFINITIONS) as `vessel def list -o json` and `vessel def show NAME -o json`
print them — the show document carries the parameters' JSON Schema, for forms and clients."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from vessel.api.auth import caller, state_of
from vessel.controller.views import definition, definition_list, find_definition
from vessel.errors import NotFoundError, UnknownTypeError

router = APIRouter(prefix="/api/v1", tags=["definitions"], dependencies=[Depends(caller)])  # a token, always


@router.get("/definitions", summary="Definitions (vessel def list -o json)")
def list_definitions(request: Request) -> list[dict[str, Any]]:
    return definition_list(state_of(request).registry.all())


@router.get("/definitions/{name}", summary="One definition (vessel def show NAME -o json)")
def show_definition(
    request: Request,
    name: str,
    kind: Annotated[str | None, Query(description="component, trait, policy or 'workflow step'")] = None,
) -> dict[str, Any]:
    try:
        return definition(find_definition(state_of(request).registry, name, kind))
    except UnknownTypeError as exc:  # a name in a path that names nothing: 404, not a bad request
        raise NotFoundError(exc.message, hint=exc.hint) from None
