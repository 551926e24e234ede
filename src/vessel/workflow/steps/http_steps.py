"""The built-in `webhook` and `request` step types: one HTTP call each, with the standard library.

Both follow KubeVela's `webhook.cue` / `request.cue` (which use the workflow `http.#HTTPDo` provider):

* `webhook` POSTs JSON to `url` (a `value`, or a `secretRef` read from a file, see `read_secret`): the
  `data` property if given, else the Application (`application_document`).
* `request` sends `method` to `url` with an optional JSON `body` and `header`, and publishes
  `response: {body, statusCode, header}` for `outputs[].valueFrom`.

Every request carries `Idempotency-Key: ctx.idempotency_key`, the same on every retry of the step.
How answers are judged (`judge`): 2xx (and 304) succeed; timeouts, connection errors, 5xx, 408 and 429
raise TransientError so the engine retries; any other status fails the step.

Messages name the step type, the method, the URL's host and the status, never the rest of the URL (a
webhook's path or query often is its secret) nor header values. What could still echo a credential — an
answer quoting the URL or a header — is masked by value: a URL from a secret, the password and query
values of any URL and the values of credential-like headers are remembered (`model.redaction`) before
anything is sent. `send` and `read_secret` are shared with `notification.py`.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from http.client import HTTPMessage
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from vessel import __version__
from vessel.errors import TransientError, ValidationError, Where
from vessel.model import redaction, secret_files
from vessel.model.application import Application
from vessel.model.frozen import thaw
from vessel.model.paths import Path as FieldPath
from vessel.workflow.step_api import Outcome, StepContext, StepFunction

TIMEOUT_SECONDS = 10.0
"""Limit on the whole exchange: connecting, sending and reading the answer."""

MAX_BODY_BYTES = 1 << 20
"""A longer answer is not kept: `request` fails, since its body would become a workflow value."""

EXCERPT_CHARS = 200
_TRANSIENT_STATUSES = frozenset({408, 429})  # and every 5xx
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token
_CREDENTIAL_HEADERS = ("authorization", "cookie", "proxy-authorization")  # dropped when leaving the host
_SECRETIVE_HEADER = re.compile(r"auth|cookie|token|secret|key|pass|session|signature", re.IGNORECASE)


# --- secrets -------------------------------------------------------------------------------------------


def read_secret(ctx: StepContext, ref: Mapping[str, Any], field: FieldPath) -> str:
    """The value of a `secretRef` (`model.secret_files`: one file per key under VESSEL_HOME/secrets).
    `field` is the path of the `secretRef` under the step's properties, for error locations."""
    where = ctx.app.where((*ctx.step.path, "properties", *field))
    return secret_files.read(str(ref["name"]), str(ref["key"]), where)


def resolve(ctx: StepContext, spec: Mapping[str, Any], field: FieldPath) -> str:
    """A `{value: ...}` or `{secretRef: {name, key}}` property as a string. A value from a secret is
    remembered whole, and as a URL its parts too (`redaction.url_secrets`), so no message shows them."""
    if "value" in spec:
        return str(spec["value"])
    value = read_secret(ctx, spec["secretRef"], (*field, "secretRef"))
    redaction.remember_url(value, secret=True)
    return value


# --- one HTTP exchange ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A checked http(s) URL: what to open, what messages may show, and its credentials if it has any."""

    url: str  # without user:password@
    host: str  # host[:port], the only part of the URL messages name
    authorization: str | None = None

    @classmethod
    def parse(cls, step_type: str, url: str, where: Where | None = None) -> Target:
        """Check `url`; errors never quote it, since it may have come from a secret."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port  # raises ValueError when not a number in range
        except ValueError:
            raise ValidationError(f"{step_type}: the URL is not valid (bad host or port)", where) from None
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValidationError(
                f"{step_type}: the URL must be absolute and start with http:// or https://", where
            )
        redaction.remember_url(url)  # its password and query values, whoever wrote them
        netloc = parts.netloc.rpartition("@")[2]
        authorization = None
        if parts.username is not None:  # what Go's client does with user:password@ in a URL
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        host = parts.hostname if port is None else f"{parts.hostname}:{port}"
        return cls(urlunsplit(parts._replace(netloc=netloc)), host, authorization)


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, list[str]]  # Go's shape (`[string]: [...string]`), names in canonical case
    body: bytes
    charset: str
    truncated: bool  # the body was longer than MAX_BODY_BYTES and is cut there

    def text(self) -> str:
        try:
            return self.body.decode(self.charset, errors="replace")
        except LookupError:  # an unknown charset
            return self.body.decode("utf-8", errors="replace")

    def parsed(self) -> Any:
        """The body as JSON if it is JSON, else as text."""
        text = self.text()
        try:
            return json.loads(text, parse_constant=_no_constant) if text.strip() else text
        except ValueError:
            return text

    def excerpt(self) -> str:
        text = " ".join(self.text().split())
        return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "..."


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN/Infinity could not be stored as a workflow value


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects as Go's client (KubeVela's) does: 307/308 repeat the method and body, 301-303
    turn into a GET without body. Only to http(s), and without credentials when leaving the host."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        target, origin = urlsplit(newurl), urlsplit(req.full_url)
        if target.scheme.lower() not in ("http", "https"):
            raise urllib.error.HTTPError(req.full_url, code, "redirect to a non-HTTP URL", headers, fp)
        method = req.get_method()
        same = code in (307, 308) or method in ("GET", "HEAD")
        kept = {
            name: value
            for name, value in req.headers.items()
            if same or name.lower() not in ("content-type", "content-length")
        }
        if (target.hostname, target.port) != (origin.hostname, origin.port):
            kept = {name: value for name, value in kept.items() if name.lower() not in _CREDENTIAL_HEADERS}
        return urllib.request.Request(
            newurl.replace(" ", "%20"),
            data=req.data if same else None,
            headers=kept,
            method=method if same else "GET",
            origin_req_host=req.origin_req_host,
            unverifiable=True,
        )


def send(
    step_type: str,
    ctx: StepContext,
    method: str,
    target: Target,
    *,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """One HTTP exchange. Returns the answer whatever its status; raises TransientError when no answer
    came (connection refused or reset, DNS failure, TLS failure, timeout)."""
    request = urllib.request.Request(target.url, method=method)
    for name, value in (headers or {}).items():
        if not _HEADER_NAME.fullmatch(name) or any(c in str(value) for c in "\r\n\0"):
            where = ctx.app.where((*ctx.step.path, "properties", "header", name))
            raise ValidationError(f"{step_type}: header {name!r} is not a valid HTTP header", where)
        if _SECRETIVE_HEADER.search(name):  # whole, and without its scheme (`Bearer …`)
            redaction.remember(str(value), str(value).partition(" ")[2])
        request.add_header(name, str(value))
    if json_body is not None:
        try:
            request.data = json.dumps(thaw(json_body), separators=(",", ":"), allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"{step_type}: the body cannot be sent as JSON: {exc}") from None
    if not request.has_header("Content-type"):  # urllib stores names capitalize()d
        request.add_header("Content-Type", "application/json")
    if not request.has_header("User-agent"):
        request.add_header("User-Agent", f"vessel/{__version__}")
    request.add_header("Idempotency-Key", ctx.idempotency_key)
    if target.authorization and not request.has_header("Authorization"):
        request.add_header("Authorization", target.authorization)

    what = f"{step_type}: {method} {target.host}"
    deadline = time.monotonic() + TIMEOUT_SECONDS
    opener = urllib.request.build_opener(_SafeRedirects)
    answer: Any
    try:
        try:
            answer = opener.open(request, timeout=TIMEOUT_SECONDS)
        except urllib.error.HTTPError as exc:  # a status urllib does not follow: still an answer
            if exc.fp is None:
                return Response(exc.code, _header_lists(exc.headers), b"", "utf-8", False)
            answer = exc
        with answer:
            body, truncated = _read(answer, deadline)
            return Response(
                status=answer.status or 0,
                headers=_header_lists(answer.headers),
                body=body,
                charset=answer.headers.get_content_charset() or "utf-8",
                truncated=truncated,
            )
    except urllib.error.URLError as exc:
        raise TransientError(f"{what} failed: {_reason(exc.reason)}") from None
    except (OSError, http.client.HTTPException) as exc:
        if isinstance(exc, http.client.InvalidURL):
            raise ValidationError(f"{step_type}: the URL is not valid") from None
        raise TransientError(f"{what} failed: {_reason(exc)}") from None
    except ValueError:  # urllib's last line of defence against a malformed request
        raise ValidationError(f"{what}: the request is not valid") from None


def _read(answer: Any, deadline: float) -> tuple[bytes, bool]:
    """The body, stopping at MAX_BODY_BYTES; the socket timeout bounds each read, `deadline` them all."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY_BYTES:
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {TIMEOUT_SECONDS:g}s")
        chunk = answer.read(64 * 1024)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)[:MAX_BODY_BYTES], True


def _reason(reason: object) -> str:
    """A short cause that cannot contain the URL."""
    if isinstance(reason, TimeoutError):
        return f"timed out after {TIMEOUT_SECONDS:g}s"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    if isinstance(reason, OSError | http.client.HTTPException):
        return str(reason) or type(reason).__name__
    return str(reason)[:EXCERPT_CHARS]


def _header_lists(headers: HTTPMessage) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers.items():
        canonical = "-".join(part.capitalize() for part in name.split("-"))
        out.setdefault(canonical, []).append(value)
    return out


def judge(step_type: str, method: str, target: Target, response: Response) -> Outcome | None:
    """None if the answer is a success; raise TransientError if retrying may help; else a failed Outcome."""
    status = response.status
    what = f"{step_type}: {method} {target.host} answered {status}"
    if status >= 500 or status in _TRANSIENT_STATUSES:
        raise TransientError(what)
    if 200 <= status < 300 or status == 304:
        return None
    if 300 <= status < 400:
        return Outcome.failed(f"{what}, a redirect Vessel did not follow", reason="HTTPError")
    excerpt = response.excerpt()
    return Outcome.failed(f"{what}: {excerpt}" if excerpt else what, reason="HTTPError")


# --- the step types ------------------------------------------------------------------------------------


def application_document(app: Application) -> dict[str, Any]:
    """The Application as KubeVela would send it, rebuilt from the model: metadata (name, namespace,
    labels, annotations) and spec (components with their traits, policies). KubeVela sends the live
    object, which also has `status` and the workflow; Vessel's model keeps neither in this form."""
    metadata: dict[str, Any] = {"name": app.name, "namespace": app.namespace}
    if app.labels:
        metadata["labels"] = thaw(app.labels)
    if app.annotations:
        metadata["annotations"] = thaw(app.annotations)
    components = []
    for comp in app.components:
        item: dict[str, Any] = {"name": comp.name, "type": comp.type, "properties": thaw(comp.properties)}
        if comp.traits:
            item["traits"] = [{"type": t.type, "properties": thaw(t.properties)} for t in comp.traits]
        if comp.depends_on:
            item["dependsOn"] = list(comp.depends_on)
        components.append(item)
    spec: dict[str, Any] = {"components": components}
    if app.policies:
        spec["policies"] = [
            {"name": p.name, "type": p.type, "properties": thaw(p.properties)} for p in app.policies
        ]
    return {"apiVersion": "core.oam.dev/v1beta1", "kind": "Application", "metadata": metadata, "spec": spec}


def _where(ctx: StepContext, *field: str | int) -> Where:
    return ctx.app.where((*ctx.step.path, "properties", *field))


def webhook(ctx: StepContext) -> Outcome:
    props = ctx.properties
    target = Target.parse("webhook", resolve(ctx, props["url"], ("url",)), _where(ctx, "url"))
    data = props.get("data")
    payload = application_document(ctx.app) if data is None else data
    response = send("webhook", ctx, "POST", target, json_body=payload)
    failure = judge("webhook", "POST", target, response)
    return failure or Outcome.succeeded(message=f"posted to {target.host}: {response.status}")


def request(ctx: StepContext) -> Outcome:
    props = ctx.properties
    method = str(props.get("method", "GET"))
    target = Target.parse("request", str(props["url"]), _where(ctx, "url"))
    response = send("request", ctx, method, target, json_body=props.get("body"), headers=props.get("header"))
    failure = judge("request", method, target, response)
    if failure:
        return failure
    if response.truncated:
        return Outcome.failed(
            f"request: {method} {target.host} answered more than {MAX_BODY_BYTES} bytes, "
            "too much to keep as a workflow value",
            reason="ResponseTooLarge",
        )
    answer = {"body": response.parsed(), "statusCode": response.status, "header": response.headers}
    return Outcome.succeeded(
        outputs={"response": answer}, message=f"{method} {target.host}: {response.status}"
    )


STEPS: dict[str, StepFunction] = {"webhook": webhook, "request": request}
