"""Who is looking: a sign-in exchanges a token for a session, kept in an HttpOnly, SameSite=Strict cookie.

A session is a token of its own (controller/accounts.py), issued to the signed-in user for at most
`SESSION_S` and never beyond the token it was exchanged for, and revoked by signing out. So sessions
are checked exactly as tokens are (unknown, expired and revoked alike refused), every server sharing the
store knows them, `vessel token list` shows them and `vessel token revoke` ends one, and the audit log
has each sign-in and sign-out (as `token create` and `token revoke`).

Every POST made with the cookie carries a CSRF token — a form field `csrf` or the `X-CSRF-Token`
header — derived from the session (an HMAC of it), so a page of another site cannot make one; a POST
without it, or with another session's, is refused (403). A request that brings a bearer token instead
of the cookie needs none (a page of another site cannot send one). The sign-in form, before any
session, uses a random cookie and the same value in the form (double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vessel.api.auth import ApiProblem, state_of
from vessel.api.permissions import authorize
from vessel.controller.accounts import PREFIX, authenticate, issue_token, revoke_token
from vessel.errors import VesselError
from vessel.store.accounts import Accounts, UserRecord

COOKIE = "vessel_session"
PRE_SESSION = "vessel_signin"  # the sign-in form's double-submit cookie
SESSION_S = 12 * 3600.0
FORM_LIMIT = 64 * 1024  # bytes of a dashboard form: a token, a CSRF token, a revision number
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class SignInNeeded(Exception):
    """No session (or an ended one) on a page: answered with a redirect to the sign-in page, clearing
    an ended session's cookie (`stale`) so the browser stops sending it — each one it sent would count
    as a bad token against its address (api/throttle.py), and open pages reconnect every few seconds."""

    def __init__(self, stale: bool = False):
        super().__init__("sign in first")
        self.stale = stale


def csrf_for(session: str) -> str:
    return hmac.new(session.encode(), b"vessel dashboard csrf", hashlib.sha256).hexdigest()


def new_form_secret() -> str:
    return secrets.token_urlsafe(24)


async def form_of(request: Request) -> dict[str, str]:
    """The request's urlencoded form (first value of each field), read once and kept on the request."""
    kept: dict[str, str] | None = getattr(request.state, "form", None)
    if kept is not None:
        return kept
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > FORM_LIMIT:  # refused before a byte of it is read
        raise ApiProblem(413, f"a dashboard form is at most {FORM_LIMIT} bytes")
    body = bytearray()
    async for chunk in request.stream():  # and cut as soon as it passes the limit, whatever it declared
        body += chunk
        if len(body) > FORM_LIMIT:
            raise ApiProblem(413, f"a dashboard form is at most {FORM_LIMIT} bytes")
    try:
        fields = parse_qs(body.decode(), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        fields = {}
    request.state.form = {k: v[0] for k, v in fields.items()}
    return request.state.form  # type: ignore[no-any-return]


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def _known(request: Request, presented: str) -> UserRecord | None:
    state = state_of(request)
    address, now = request.client.host if request.client else "", state.clock.now()
    if wait := state.throttle.retry_after(address, now):
        raise ApiProblem(429, f"too many bad tokens from {address}; try again in {wait:.0f}s", wait)
    user = authenticate(state.store, presented, now)
    if user is None:
        state.throttle.failed(address, now)
    return user


async def page_user(request: Request) -> UserRecord:
    """The dependency of every dashboard route but sign-in: the caller (from the session cookie or a
    bearer token), CSRF-checked on a POST made with the cookie, and allowed what the route's rule in
    api/permissions.py needs — `authorize`, the very check every API route makes."""
    bearer = _bearer(request)
    session = request.cookies.get(COOKIE)
    presented = bearer or session
    if not presented:
        raise SignInNeeded()
    user = await run_in_threadpool(_known, request, presented)
    if user is None:
        if bearer:
            raise ApiProblem(401, "the token is not valid (unknown, expired or revoked)")
        raise SignInNeeded(stale=True)
    if request.method == "POST" and not bearer:
        await _check_csrf(request, presented)
    request.state.user = user.name  # who, for the audit log
    request.state.caller = user
    request.state.session = None if bearer else presented
    return await run_in_threadpool(authorize, request, user)


def still_allowed(request: Request) -> bool:
    """Whether the caller of a long request (a live stream) may still make it: their session or token
    still good (not signed out, expired or revoked) and `authorize` still allowing the route (their
    role unchanged). Asked again every few seconds, so a sign-out ends the streams of its pages."""
    presented = _bearer(request) or request.cookies.get(COOKIE)
    state = state_of(request)
    user = authenticate(state.store, presented, state.clock.now()) if presented else None
    if user is None:
        return False
    try:
        authorize(request, user)
    except (ApiProblem, VesselError):
        return False
    return True


async def _check_csrf(request: Request, session: str) -> None:
    sent = request.headers.get(CSRF_HEADER) or (await form_of(request)).get(CSRF_FIELD, "")
    if not hmac.compare_digest(sent.encode(), csrf_for(session).encode()):
        raise ApiProblem(403, "the form's CSRF token is missing or not this session's; reload the page")


def sign_in(request: Request, presented: str) -> str | None:
    """A new session for the owner of `presented` (its cookie value), or None: not a valid token."""
    user = _known(request, presented)
    if user is None:
        return None
    state = state_of(request)
    now = state.clock.now()
    lifetime = SESSION_S
    key_id = presented[len(PREFIX) :].partition(".")[0]
    found = Accounts(state.store).token(key_id)
    if found is not None and found[0].expires_at is not None:  # never longer than the token exchanged
        lifetime = min(lifetime, found[0].expires_at - now)
    return issue_token(state.store, user, now, lifetime, actor=user.name).token


def sign_out(request: Request) -> None:
    session = request.cookies.get(COOKIE)
    user: UserRecord | None = getattr(request.state, "caller", None)
    if session and user is not None:
        state = state_of(request)
        key_id = session[len(PREFIX) :].partition(".")[0]
        revoke_token(state.store, key_id, state.clock.now(), actor=user.name)


def set_session(response: Response, request: Request, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(SESSION_S),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
