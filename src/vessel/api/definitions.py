"""`GET /api/v1/definitions` and `GET /api/v1/definitions/{name}[?kind=…]`: the server's definitions
(built-ins, plugins, enabled addons, VESSEL_DEFINITIONS) as `vessel def list -o json` and `vessel def
show NAME -o json` print them — the show document carries the parameters' JSON Schema, for forms and
clients.

`POST /api/v1/definitions/render` renders one of them with the properties sent, and `POST
/api/v1/definitions/vet` checks the definitions sent (YAML or JSON, as a file for `vessel def vet`):
what `vessel def render` and `vessel def vet` do, through the same functions (controller/authoring.py).
Both change nothing, so, like dry-run, they are not audited and anyone with a token may call them;
their answers are not redacted (the caller's own input, rendered). A problem is 422 problem+json,
`{path, line, message}` with the line in the body."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vessel.api.auth import state_of
from vessel.api.body import BODY, read_text_body
from vessel.api.permissions import authorize
from vessel.controller.authoring import rendered, vetted_text
from vessel.controller.views import definition, definition_list, find_definition
from vessel.errors import NotFoundError, UnknownTypeError

router = APIRouter(prefix="/api/v1", tags=["definitions"], dependencies=[Depends(authorize)])


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


class Rendering(BaseModel):
    """As `vessel def render NAME [--kind K] --set k=v…`."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="The definition (`NAME@vVERSION` names one version)")
    kind: str | None = Field(None, description="component or trait, when both have the name")
    properties: dict[str, Any] = Field(default_factory=dict, description="Its properties (nested)")


@router.post("/definitions/render", summary="Render one definition (vessel def render -o json)")
def render_definition(request: Request, body: Rendering) -> JSONResponse:
    """A `List` of what the definition renders to with `properties` (a trait on a sample Deployment),
    and `sources`: where each item came from."""
    registry = state_of(request).registry
    found = find_definition(registry, body.name, body.kind)
    return JSONResponse(rendered(registry, found, body.properties))


VET_BODY = {
    "requestBody": {
        "required": True,
        "content": {t: {"schema": {"type": "string"}} for t in ("application/yaml", "application/json")},
        "description": "Definitions (ComponentDefinition, TraitDefinition…), as YAML or JSON documents.",
    }
}


@router.post("/definitions/vet", openapi_extra=VET_BODY, summary="Check definitions (vessel def vet)")
async def vet_definitions(request: Request) -> JSONResponse:
    """`[{kind, name, origin, line, notes}]`: each definition of the body, its `line` there, and its
    notes (a template refusing its schema's defaults on purpose); the first problem is 422."""
    text = await read_text_body(request)
    return JSONResponse(await run_in_threadpool(vetted_text, text, BODY))
