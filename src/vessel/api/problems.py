"""Errors as RFC 9457 problem details (`application/problem+json`).

Every error the API returns has one shape: `type`, `title`, `status`, `detail`, and `problems` — every
problem found, each as `{path, line, message}` (`path` the field path in the submitted document, `line`
its line in the request body when known). A VesselError maps to its status by class, in one table.
"""

from __future__ import annotations

import math
from typing import Any

from vessel.api.responses import RedactedJSONResponse
from vessel.errors import (
    ConflictError,
    DefinitionError,
    InputError,
    MultipleErrors,
    NotFoundError,
    RenderError,
    StaleVersionError,
    StoreUnavailableError,
    VesselError,
)

MEDIA_TYPE = "application/problem+json"
STATUS_BY_ERROR: tuple[tuple[type[VesselError], int], ...] = (
    (NotFoundError, 404),
    (StaleVersionError, 412),
    (ConflictError, 409),
    (InputError, 422),
    (DefinitionError, 422),
    (RenderError, 422),
    (StoreUnavailableError, 503),
)
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid application",
    429: "Too many bad tokens",
    500: "Internal error",
    503: "Store unavailable",
}


def problem(
    status: int, detail: str, problems: list[dict[str, Any]] | None = None, retry_after: float | None = None
) -> RedactedJSONResponse:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "problems": problems if problems is not None else [{"path": "", "line": None, "message": detail}],
    }
    headers = {"WWW-Authenticate": 'Bearer realm="vessel"'} if status == 401 else {}
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return RedactedJSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def status_of_error(exc: VesselError) -> int:
    return next((status for cls, status in STATUS_BY_ERROR if isinstance(exc, cls)), 500)


def from_error(exc: VesselError) -> RedactedJSONResponse:
    errors = exc.errors if isinstance(exc, MultipleErrors) else (exc,)
    problems = [_problem(e) for e in errors]
    detail = f"{len(problems)} problems found" if len(problems) > 1 else errors[0].render()
    return problem(status_of_error(exc), detail, problems)


def _problem(exc: VesselError) -> dict[str, Any]:
    message = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
    return {"path": exc.location.path, "line": exc.location.line, "message": message}
