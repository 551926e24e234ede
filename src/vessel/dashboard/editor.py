"""The YAML editor: `GET /applications/new` (a new application), `GET /applications/{namespace}/{name}/edit`
(the application's current YAML), `POST /applications/new` (apply what the editor holds) and
`POST /applications/validate` (its script's check as you type).

Applying is the API's apply (`api/applications.apply_text`: every mistake found before anything is
stored, then `check_apply`, with the same permission), made with the session's CSRF token; from the
edit page it carries the revision the text was based on, so a change made meanwhile by someone else is
refused (412) instead of overwritten. A refused apply shows the editor again with the text and every
problem at its line; an accepted one goes to the application's page (303).

The check is the API's dry-run: 200 with the number of resources it renders, or problem+json whose
`problems` are `{path, line, message}` — the script (static/editor.js) marks each line. Without
script, the editor is a form: Apply answers with the same marks.

An application's YAML is shown as every read path shows it: a Secret's values and every secret value
this server knows are masked, so an edit must write them again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vessel.api.applications import apply_text, dry_run_text
from vessel.api.auth import ApiProblem, state_of
from vessel.api.body import read_text_body
from vessel.api.problems import from_error, problem, status_of_error
from vessel.dashboard.revisions_page import as_yaml
from vessel.dashboard.session import form_of, page_user
from vessel.dashboard.templates import page
from vessel.errors import MultipleErrors, ValidationError, VesselError
from vessel.store.accounts import UserRecord

router = APIRouter(include_in_schema=False)
STARTER = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: my-app
  namespace: default
spec:
  components:
    - name: my-app
      type: webservice
      properties:
        image: nginx:1.27
        ports:
          - port: 80
            expose: true
"""


def editor(
    request: Request,
    text: str,
    *,
    heading: str,
    based_on: str = "",
    problems: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "editor.html",
        http_status=status,
        heading=heading,
        text=text,
        based_on=based_on,
        problems=problems or [],
    )


@router.get("/applications/new", response_class=HTMLResponse)
def new_application(request: Request, user: Annotated[UserRecord, Depends(page_user)]) -> HTMLResponse:
    return editor(request, STARTER, heading="New application")


@router.get("/applications/{namespace}/{name}/edit", response_class=HTMLResponse)
def edit_application(
    request: Request, namespace: str, name: str, user: Annotated[UserRecord, Depends(page_user)]
) -> HTMLResponse:
    ctl = state_of(request).controller()
    app = ctl.find(namespace, name)
    text = as_yaml(ctl.store.revision(app.id, app.revision).spec)
    return editor(request, text, heading=f"Edit {namespace}/{name}", based_on=str(app.latest_revision))


@router.post("/applications/new", response_model=None)
async def apply(request: Request, user: Annotated[UserRecord, Depends(page_user)]) -> Response:
    form = await form_of(request)
    text, based_on = form.get("yaml", ""), form.get("based_on", "").strip()
    heading = "Edit application" if based_on else "New application"
    try:
        expected = _revision(based_on)
        applied = await run_in_threadpool(apply_text, request, user, text, None, expected)
    except (VesselError, ApiProblem) as exc:
        status, problems = _problems(exc)
        return editor(request, text, heading=heading, based_on=based_on, problems=problems, status=status)
    done = applied["applications"]
    request.state.audit_object = ", ".join(f"{a['namespace']}/{a['name']}@{a['revision']}" for a in done)
    where = f"/applications/{done[0]['namespace']}/{done[0]['name']}" if len(done) == 1 else "/applications"
    return RedirectResponse(where, status_code=303)


def _revision(based_on: str) -> int | None:
    if not based_on:
        return None
    if not based_on.isdigit():
        raise ValidationError(f"based_on: {based_on!r} is not a revision number")
    return int(based_on)


def _problems(exc: VesselError | ApiProblem) -> tuple[int, list[dict[str, Any]]]:
    """The status and `{path, line, message}` problems of a refusal, as the API answers them."""
    if isinstance(exc, ApiProblem):
        return exc.status, [{"path": "", "line": None, "message": exc.detail}]
    errors = exc.errors if isinstance(exc, MultipleErrors) else (exc,)
    return status_of_error(exc), [
        {"path": e.location.path, "line": e.location.line, "message": _message(e)} for e in errors
    ]


def _message(e: VesselError) -> str:
    return f"{e.message} ({e.hint})" if e.hint else e.message


@router.post("/applications/validate", response_model=None)
async def validate(request: Request, user: Annotated[UserRecord, Depends(page_user)]) -> Response:
    """The dry-run of the body (the editor's text): what the script marks, as the API answers it."""
    try:
        text = await read_text_body(request)
        rendered = await run_in_threadpool(dry_run_text, state_of(request), text, None)
    except VesselError as exc:
        return from_error(exc)
    except ApiProblem as exc:
        return problem(exc.status, exc.detail)
    summary = {
        "resources": len(rendered["items"]),
        "warnings": rendered["warnings"],
        "notes": rendered["notes"],
    }
    return JSONResponse(summary, headers={"Cache-Control": "no-store"})
