"""The remote client: the CLI's operations as requests to a `vessel server`'s API (`/api/v1`).

Standard library only (`urllib`), and nothing of the store, the controller or the renderer: a remote
command starts as fast as Python, Typer and Rich do. Every answer is the document the embedded client
returns for the same operation (the API's handlers call the same controller functions), so the same
code prints it.

Errors come back as the error classes the embedded mode raises (`vessel.errors`), read from the
problem+json body by status — 404 NotFoundError, 409 ConflictError, 412 StaleVersionError, 422 the
input's problems (each `{path, line, message}`, several as MultipleErrors), 503 StoreUnavailableError,
401 and 429 AccessError, 403 ForbiddenError — so the message and the exit code are the same. A server
that cannot be reached, or does not answer within `VESSEL_REQUEST_TIMEOUT` seconds (default 30), is a
ServerUnreachableError naming it: a command never hangs on a dead server.
"""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import quote, urlencode

from vessel.cli.connection import Connection
from vessel.errors import (
    AccessError,
    ConflictError,
    ForbiddenError,
    Location,
    MultipleErrors,
    NotFoundError,
    ServerUnreachableError,
    StaleVersionError,
    StoreUnavailableError,
    ValidationError,
    VesselError,
)

TIMEOUT_ENV = "VESSEL_REQUEST_TIMEOUT"
DEFAULT_TIMEOUT_S = 30.0
BODY = "request body"  # what the server calls the body in the location of a problem (api/body.py)
PAGE = 500  # applications per page of a list (the API's maximum)
ERRORS: dict[int, Callable[[str], VesselError]] = {
    401: AccessError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    412: StaleVersionError,
    429: AccessError,
    503: StoreUnavailableError,
}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str] | Message[str, str]
    document: Any


@dataclass(frozen=True)
class Body:
    """Text sent as a body, and which file each of its lines came from: `(first line, file)` per part,
    so a problem the server finds at a line of the body is reported at that line of that file."""

    text: str
    parts: tuple[tuple[int, str], ...] = ()
    content_type: str = "application/yaml"

    def where(self, line: int | None) -> Location:
        """The file and line of the body's `line` (None: only the first part's file is known)."""
        if line is None or not self.parts:
            return Location(self.parts[0][1] if len(self.parts) == 1 else None)
        first, file = max((p for p in self.parts if p[0] <= line), default=self.parts[0])
        return Location(file, line - first + 1)


def app_path(namespace: str, name: str, rest: str = "") -> str:
    return f"/api/v1/namespaces/{quote(namespace, safe='')}/applications/{quote(name, safe='')}{rest}"


def timeout_s() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "")
    try:
        seconds = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        raise ValidationError(f"{TIMEOUT_ENV}: {raw!r} is not a number of seconds") from None
    if seconds <= 0:
        raise ValidationError(f"{TIMEOUT_ENV}: {raw!r} is not a positive number of seconds")
    return seconds


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: the token would go along wherever they point (another host, plain
    HTTP). The API never redirects; a redirect is answered as the error it is."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Remote:
    """Requests to one server, with its token (never printed: see `Connection.__repr__`)."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.url = connection.url
        self.timeout = timeout_s()
        self._opener = urllib.request.build_opener(_NoRedirect)

    def get(self, path: str, **query: Any) -> Any:
        return self.call("GET", path, query=query).document

    def call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Body | None = None,
        ok: tuple[int, ...] = (200, 201, 202),
    ) -> Answer:
        """One request; an answer outside `ok` raised as the error it stands for."""
        answer = self._send(method, path + _query(query or {}), body)
        if answer.status not in ok:
            raise error_of(answer, body)
        return answer

    @contextmanager
    def stream(self, method: str, path: str, query: Mapping[str, Any]) -> Iterator[Iterator[bytes]]:
        """The answer's body line by line as it arrives (each read bounded by the timeout: a server
        streaming something quiet sends blank lines meanwhile); an error answer raised as `call` does."""
        request = self._request(method, path + _query(query), None)
        try:
            response = self._opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as error:
            with error:
                raise error_of(Answer(error.code, error.headers, _json(error.read()))) from None
        except (urllib.error.URLError, OSError, ssl.SSLError) as exc:
            raise self._unreachable(exc) from None
        with response:
            yield self._lines(response)

    def _lines(self, response: Any) -> Iterator[bytes]:
        try:
            yield from response
        except (OSError, ssl.SSLError) as exc:
            raise self._unreachable(exc) from None

    def _request(self, method: str, path: str, body: Body | None) -> urllib.request.Request:
        headers = {"Authorization": f"Bearer {self.connection.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = body.content_type
            data = body.text.encode("utf-8")
        return urllib.request.Request(self.url + path, data=data, method=method, headers=headers)

    def _send(self, method: str, path: str, body: Body | None) -> Answer:
        request = self._request(method, path, body)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return Answer(response.status, response.headers, _json(response.read()))
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.headers, _json(error.read()))
        except (urllib.error.URLError, OSError, ssl.SSLError) as exc:
            raise self._unreachable(exc) from None

    def _unreachable(self, exc: Exception) -> ServerUnreachableError:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, socket.timeout | TimeoutError):
            why = f"no answer within {self.timeout:g}s"
        else:
            why = getattr(reason, "strerror", None) or str(reason)
        hint = "is it running? `vessel logout` (and unset VESSEL_SERVER) works on this machine instead"
        if isinstance(reason, ssl.SSLError):
            hint = "to trust a certificate no system CA signed: SSL_CERT_FILE=its-ca.pem"
        return ServerUnreachableError(f"cannot reach the Vessel server at {self.url}: {why}", hint=hint)


def _query(query: Mapping[str, Any]) -> str:
    pairs = {k: str(v).lower() if isinstance(v, bool) else v for k, v in query.items() if v is not None}
    return f"?{urlencode(pairs)}" if pairs else ""


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


def error_of(answer: Answer, body: Body | None = None) -> VesselError:
    """The error a problem+json answer stands for, as embedded mode would have raised it."""
    document = answer.document if isinstance(answer.document, dict) else {}
    detail = str(document.get("detail") or f"the server answered {answer.status}")
    problems = [p for p in document.get("problems") or [] if isinstance(p, dict)]
    if answer.status in (400, 413, 415, 422) and problems:
        errors = [_input_problem(p, body) for p in problems]
        if len(errors) == 1:
            return errors[0]
        return MultipleErrors(errors)
    if answer.status == 500:
        return VesselError(f"the server failed: {detail}", hint="its log says why")
    return ERRORS.get(answer.status, VesselError)(in_files(detail, body))


def _input_problem(problem: Mapping[str, Any], body: Body | None) -> VesselError:
    """One `{path, line, message}` as the error embedded mode raises (the hint is in the message)."""
    line = problem.get("line")
    path = str(problem.get("path") or "")
    message = in_files(str(problem.get("message") or ""), body)
    where = body.where(line if isinstance(line, int) else None) if body is not None else Location()
    if line is None:  # at no line of the body: not about one of its files (a query parameter, the body's
        where = Location()  # encoding, a rendered template, which names its file in the message)
    return ValidationError(message, Location(where.file, where.line, path))


def in_files(text: str, body: Body | None) -> str:
    """`request body:N` in a message as the file and line it came from."""
    if body is None:
        return text

    def located(match: re.Match[str]) -> str:
        where = body.where(int(match.group(1)) if match.group(1) else None)
        return str(where) or BODY

    return re.sub(rf"{re.escape(BODY)}(?::(\d+))?", located, text)
