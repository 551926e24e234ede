"""The HTTP side of the `kubernetes` target: one connection per target, made on first use.

lightkube reads the kubeconfig (context, server, CA, client certificates, tokens, exec plugins) and
builds the authenticated HTTP client; requests are plain REST calls, so any kind the API server serves
can be handled without generated classes. The kubeconfig is read when the first request is made, not
when the target is created, and credentials only ever travel in request headers — never in messages.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vessel.errors import TargetUnavailableError
from vessel.targets.kubernetes.failures import from_status, unreachable

if TYPE_CHECKING:
    import httpx2

APPLY = "application/apply-patch+yaml"
JSON = "application/json"


@dataclass(frozen=True)
class Reply:
    code: int
    body: Any  # the decoded JSON answer (a Status object for errors), the text of a text answer, or None

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 300


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

        http = self._client()
        content = None if body is None else json.dumps(body).encode()
        headers = {"Accept": accept} | ({"Content-Type": content_type} if content is not None else {})
        try:
            response = http.request(method, path, params=dict(params or {}), content=content, headers=headers)
        except httpx2.TransportError as exc:
            raise unreachable(self.target, what, exc) from None
        decoded: Any = None
        if not response.content:
            pass
        elif response.headers.get("content-type", "").startswith(JSON):
            try:
                decoded = response.json()
            except ValueError:
                decoded = None
        else:
            decoded = response.text
        reply = Reply(response.status_code, decoded)
        if reply.ok or reply.code in allow:
            return reply
        raise from_status(self.target, what, reply.code, reply.body)

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
