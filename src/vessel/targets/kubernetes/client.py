"""The HTTP side of the `kubernetes` target: one connection per target, made on first use.

lightkube reads the kubeconfig (context, server, CA, client certificates, tokens, exec plugins) and
builds the authenticated HTTP client; requests are plain REST calls, so any kind the API server serves
can be handled without generated classes. The kubeconfig is read when the first request is made, not
when the target is created, and credentials only ever travel in request headers — never in messages.

A cluster that does not answer within the timeout is not asked again for a pause (see `_Quiet`): one
silent cluster costs one timeout per pause, not one per object, so the others are not held up.

`stream` keeps an answer open and reads it as it comes (pod logs with `follow=true`); any thread may
`abort` such a stream: its socket is shut down, which wakes the thread blocked reading it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vessel.errors import TargetUnavailableError
from vessel.targets.kubernetes.failures import from_status, unreachable

if TYPE_CHECKING:
    import httpx2

QUIET_MAX = 60.0
APPLY = "application/apply-patch+yaml"
JSON = "application/json"


@dataclass(frozen=True)
class Reply:
    code: int
    body: Any  # the decoded JSON answer (a Status object for errors), the text of a text answer, or None

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 300


class _Quiet:
    """A cluster that does not answer costs one timeout, not one per request: after a timeout, calls
    fail at once for a pause (the timeout, doubling with each further timeout up to 60 s), so one
    silent cluster cannot stall the loop over every application. Any answer ends the pause."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.pause = 0.0
        self.until = 0.0
        self._lock = threading.Lock()

    def check(self, target: str, what: str) -> None:
        with self._lock:
            left = self.until - time.monotonic()
            pause = self.pause
        if left > 0:
            raise TargetUnavailableError(
                f"target {target!r}: {what}: API server unreachable: it did not answer within "
                f"{self.timeout:g}s; not asked again for {left:.0f}s (of a {pause:g}s pause)"
            )

    def timed_out(self) -> None:
        with self._lock:
            self.pause = min(QUIET_MAX, self.pause * 2 if self.pause else self.timeout)
            self.until = time.monotonic() + self.pause

    def answered(self) -> None:
        with self._lock:
            self.pause = self.until = 0.0


class ApiClient:
    """Requests to one cluster. `call` returns 2xx answers and the codes the caller allows (404
    mostly); every other answer, and no answer, is raised as a Vessel error naming `what`."""

    def __init__(
        self, target: str, kubeconfig: str | None, context: str | None, timeout: float = 10.0
    ) -> None:
        self.target = target
        self.kubeconfig = kubeconfig
        self.context = context
        self.timeout = timeout
        self._http: httpx2.Client | None = None
        self._default_namespace = "default"
        self._lock = threading.Lock()
        self._quiet = _Quiet(timeout)

    def call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = JSON,
        accept: str = JSON,
        allow: frozenset[int] = frozenset(),
    ) -> Reply:
        import httpx2

        self._quiet.check(self.target, what)
        http = self._client()
        content = None if body is None else json.dumps(body).encode()
        headers = {"Accept": accept} | ({"Content-Type": content_type} if content is not None else {})
        try:
            response = http.request(method, path, params=dict(params or {}), content=content, headers=headers)
        except httpx2.TimeoutException as exc:
            self._quiet.timed_out()
            raise unreachable(self.target, what, exc) from None
        except httpx2.TransportError as exc:
            raise unreachable(self.target, what, exc) from None
        self._quiet.answered()
        reply = Reply(response.status_code, _decoded(response))
        if reply.ok or reply.code in allow:
            return reply
        raise from_status(self.target, what, reply.code, reply.body, response.headers.get("retry-after"))

    def stream(
        self,
        path: str,
        what: str,
        *,
        params: Mapping[str, str] | None = None,
        accept: str = "*/*",
        allow: frozenset[int] = frozenset(),
    ) -> Stream:
        """GET `path` and keep the answer open, to be read line by line as the server writes it. Only
        the read timeout is lifted (a followed log may stay quiet for hours); connecting still times
        out. Errors as `call`; an allowed code is a stream with no lines. Close it (`with`) when done."""
        import httpx2

        http = self._client()
        timeout = httpx2.Timeout(self.timeout, read=None)
        request = http.build_request(
            "GET", path, params=dict(params or {}), headers={"Accept": accept}, timeout=timeout
        )
        try:
            response = http.send(request, stream=True)
            if response.is_success:
                return Stream(self.target, what, response)
            try:
                response.read()
            finally:
                response.close()
        except httpx2.TransportError as exc:
            raise unreachable(self.target, what, exc) from None
        if response.status_code in allow:
            return Stream(self.target, what, None)
        retry_after = response.headers.get("retry-after")
        raise from_status(self.target, what, response.status_code, _decoded(response), retry_after)

    @property
    def default_namespace(self) -> str:
        """The namespace of the kubeconfig context (loads the kubeconfig if not yet loaded)."""
        self._client()
        return self._default_namespace

    def close(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    def _client(self) -> httpx2.Client:
        with self._lock:
            if self._http is None:
                self._http = self._connect()
            return self._http

    def _connect(self) -> httpx2.Client:
        import httpx2
        import yaml
        from lightkube import ConfigError, KubeConfig
        from lightkube.config import client_adapter

        where = self.kubeconfig or "the default kubeconfig"
        try:
            config = (
                KubeConfig.from_file(self.kubeconfig) if self.kubeconfig else KubeConfig.from_env()
            ).get(self.context)
            if config is None:
                raise ConfigError("no context")
            self._default_namespace = config.namespace
            params = client_adapter.ConnectionParams(timeout=httpx2.Timeout(self.timeout))
            return client_adapter.Client(config, params)
        except (ConfigError, OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
            context = f" (context {self.context!r})" if self.context else ""
            # YAML errors quote the offending line, which may hold a token: name the problem only
            why = "not valid YAML" if isinstance(exc, yaml.YAMLError) else f"{type(exc).__name__}: {exc}"
            raise TargetUnavailableError(
                f"target {self.target!r}: cannot use {where}{context}: {why}",
                hint="check the target's kubeconfig and context",
            ) from None


class Stream:
    """An answer being read as it arrives. `lines()` yields its lines (the last one even without a
    newline) and ends with the answer; `abort()`, from any thread, ends it early and quietly."""

    def __init__(self, target: str, what: str, response: httpx2.Response | None) -> None:
        self.target = target
        self.what = what
        self._response = response
        self._aborted = threading.Event()

    def lines(self) -> Iterator[str]:
        import httpx2

        if self._response is None:
            return
        try:
            yield from self._response.iter_lines()
        except httpx2.TransportError as exc:
            if not self._aborted.is_set():
                raise unreachable(self.target, self.what, exc) from None

    def abort(self) -> None:
        """Shut the connection down: a thread blocked in `lines()` wakes up, and its loop ends."""
        self._aborted.set()
        stream = self._response.extensions.get("network_stream") if self._response is not None else None
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                # the plain socket's shutdown, also under TLS: SSLSocket.shutdown would unset its SSL
                # object under the reading thread's feet
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def close(self) -> None:
        if self._response is not None:
            self._response.close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _decoded(response: httpx2.Response) -> Any:
    """The answer's JSON, or its text when it is not JSON; None when empty or undecodable."""
    if not response.content:
        return None
    if response.headers.get("content-type", "").startswith(JSON):
        try:
            return response.json()
        except ValueError:
            return None
    return response.text
