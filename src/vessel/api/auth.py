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
    """An answer other than success that is no VesselError (401, 413, 415): turned into problem+json."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def state_of(request: Request) -> ServerState:
    state: ServerState = request.app.state.vessel
    return state


def caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> UserRecord:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiProblem(401, "a bearer token is required (Authorization: Bearer TOKEN)")
    state = state_of(request)
    user = authenticate(state.store, credentials.credentials, state.clock.now())
    if user is None:
        raise ApiProblem(401, "the token is not valid (unknown, expired or revoked)")
    return user
