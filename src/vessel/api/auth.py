"""Bearer tokens: every API route depends on `caller`, which answers 401 (problem+json, with
`WWW-Authenticate: Bearer`) for a missing, malformed, unknown, expired or revoked token alike.
Checking a token is the controller's (controller/accounts.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from vessel.api.state import ServerState
from vessel.controller.accounts import authenticate
from vessel.store.accounts import UserRecord

bearer = HTTPBearer(
    auto_error=False, description="A token from `vessel server init` or `vessel token create`."
)


class ApiProblem(Exception):
    """An answer other than success that is no VesselError (401, 413, 415, 429): turned into
    problem+json (`retry_after`: seconds, sent as the Retry-After header)."""

    def __init__(self, status: int, detail: str, retry_after: float | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


def state_of(request: Request) -> ServerState:
    state: ServerState = request.app.state.vessel
    return state


def caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> UserRecord:
    state = state_of(request)
    address, now = request.client.host if request.client else "", state.clock.now()
    if wait := state.throttle.retry_after(address, now):
        raise ApiProblem(429, f"too many bad tokens from {address}; try again in {wait:.0f}s", wait)
    if credentials is None or credentials.scheme.lower() != "bearer":
        state.throttle.failed(address, now)
        raise ApiProblem(401, "a bearer token is required (Authorization: Bearer TOKEN)")
    user = authenticate(state.store, credentials.credentials, now)
    if user is None:
        state.throttle.failed(address, now)
        raise ApiProblem(401, "the token is not valid (unknown, expired or revoked)")
    request.state.user = user.name  # who, for the audit log
    return user


def admin(user: Annotated[UserRecord, Depends(caller)]) -> UserRecord:
    """The caller, who must be an admin (403 otherwise): for what is the platform's, not a team's."""
    if not user.admin:
        raise ApiProblem(403, f"{user.name} is not an admin")
    return user
