"""`GET|POST /sign-in` and `POST /sign-out` (session.py says what a session is)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vessel.dashboard import session
from vessel.dashboard.templates import page
from vessel.store.accounts import UserRecord

router = APIRouter(include_in_schema=False)


def next_page(value: str | None) -> str:
    """Where to go after signing in: a path of this site only — never `//elsewhere`, a URL, or either
    in disguise (browsers drop tabs and newlines from a URL and read `\\` as `/`)."""
    disguised = any(c == "\\" or ord(c) < 0x21 for c in value or "")
    if not value or not value.startswith("/") or value.startswith("//") or disguised:
        return "/"
    return value


def _form(request: Request, error: str = "", status: int = 200, nxt: str = "/") -> HTMLResponse:
    secret = request.cookies.get(session.PRE_SESSION) or session.new_form_secret()
    response = page(request, "sign_in.html", http_status=status, error=error, form_secret=secret, next=nxt)
    response.set_cookie(session.PRE_SESSION, secret, httponly=True, samesite="strict", path="/sign-in")
    return response


@router.get("/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    return _form(request, nxt=next_page(next))


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await session.form_of(request)
    nxt = next_page(form.get("next"))
    expected = request.cookies.get(session.PRE_SESSION, "")
    if not expected or not hmac.compare_digest(form.get("csrf", "").encode(), expected.encode()):
        return _form(request, "This sign-in form has expired; please try again.", 400, nxt)
    token = form.get("token", "").strip()
    if not token:
        return _form(request, "A token is required.", 400, nxt)
    created = await run_in_threadpool(session.sign_in, request, token)
    if created is None:
        return _form(request, "That token is not valid (unknown, expired or revoked).", 401, nxt)
    response = RedirectResponse(nxt, status_code=303)
    session.set_session(response, request, created)
    response.delete_cookie(session.PRE_SESSION, path="/sign-in")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, user: Annotated[UserRecord, Depends(session.page_user)]) -> Response:
    await run_in_threadpool(session.sign_out, request)
    response = RedirectResponse("/sign-in", status_code=303)
    session.clear_session(response)
    return response
