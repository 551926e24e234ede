"""From an API server's answer to Vessel's error classes.

Transient (retried): no answer at all, timeouts, 5xx, 409 Conflict (someone else wrote first; applying
again will do) and 429 (throttled). Terminal: everything else the server refuses, 400/422 first of all,
named by the fields the server blamed (`Status.details.causes[].field`). Messages name the target and the
object, never credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vessel.errors import Location, TargetRejectedError, TargetUnavailableError, VesselError

_TRANSIENT = frozenset({409, 429})


def from_status(target: str, what: str, code: int, body: Any, retry_after: str | None = None) -> VesselError:
    """The error for a non-2xx answer `body` (a `Status` object, or whatever the server sent); a
    transient one carries the answer's Retry-After (seconds), so the retry waits at least that long."""
    status: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    message = str(status.get("message") or "").strip() or f"HTTP {code}"
    reason = str(status.get("reason") or "")
    where = f"target {target!r}: {what}"
    if code >= 500 or code in _TRANSIENT:
        return TargetUnavailableError(
            f"{where}: {message} ({code}{' ' + reason if reason else ''})", retry_after=_seconds(retry_after)
        )
    fields = _fields(status)
    if fields:
        return TargetRejectedError(
            f"{where}: the API server rejected {', '.join(fields)}: {message}",
            Location(path=fields[0]),
        )
    hint = {
        401: "the credentials in the kubeconfig were not accepted",
        403: "the kubeconfig's user is not allowed to do this (RBAC)",
    }.get(code)
    return TargetRejectedError(f"{where}: {message} ({code}{' ' + reason if reason else ''})", hint=hint)


def _seconds(header: str | None) -> float | None:
    """Retry-After as Kubernetes sends it: whole seconds (the HTTP-date form is not used by it)."""
    try:
        return max(0.0, float(header)) if header is not None else None
    except ValueError:
        return None


def unreachable(target: str, what: str, exc: BaseException) -> TargetUnavailableError:
    """No answer: connection refused or dropped, timeout, TLS failure."""
    detail = str(exc) or type(exc).__name__
    return TargetUnavailableError(f"target {target!r}: {what}: API server unreachable: {detail}")


def _fields(status: Mapping[str, Any]) -> list[str]:
    details = status.get("details")
    causes = details.get("causes") if isinstance(details, Mapping) else None
    out: list[str] = []
    for cause in causes if isinstance(causes, list) else []:
        field = cause.get("field") if isinstance(cause, Mapping) else None
        if isinstance(field, str) and field and field not in out:
            out.append(field.removeprefix("."))
    return out
