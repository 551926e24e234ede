"""Readiness and liveness probes, as Kubernetes defines them, run against local processes.

`httpGet` succeeds on a 2xx/3xx answer, `tcpSocket` on an accepted connection, `exec` on exit code 0 (an
argv run without a shell, in the replica's working directory and environment, killed at the timeout).
A probe runs when it is due: never before `initialDelaySeconds` after the start, then at most once per
`periodSeconds` — and only when the target is called (`apply`/`get`), since nothing else is watching.
Periods may be fractions of a second (Kubernetes insists on whole seconds; a laptop need not).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import ssl
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vessel.errors import Location, TargetRejectedError

_ACTIONS = ("httpGet", "tcpSocket", "exec")
_MESSAGE_MAX = 200


@dataclass(frozen=True)
class Probe:
    action: str  # "httpGet" | "tcpSocket" | "exec"
    port: int | str | None = None  # a number or a container port's name
    host: str = "127.0.0.1"
    path: str = "/"
    scheme: str = "HTTP"
    headers: tuple[tuple[str, str], ...] = ()
    command: tuple[str, ...] = ()
    initial_delay: float = 0.0
    period: float = 10.0
    timeout: float = 1.0
    success_threshold: int = 1
    failure_threshold: int = 3


@dataclass
class ProbeRecord:
    """What the probes of one replica found so far (persisted with the replica)."""

    last: float | None = None
    successes: int = 0
    failures: int = 0
    message: str = ""

    def due(self, probe: Probe, started_at: float, now: float) -> bool:
        if now < started_at + probe.initial_delay:
            return False
        return self.last is None or now >= self.last + probe.period

    def record(self, ok: bool, message: str, now: float) -> None:
        self.last = now
        self.message = message
        if ok:
            self.successes, self.failures = self.successes + 1, 0
        else:
            self.successes, self.failures = 0, self.failures + 1

    def to_json(self) -> dict[str, Any]:
        return {
            "last": self.last,
            "successes": self.successes,
            "failures": self.failures,
            "message": self.message,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> ProbeRecord:
        raw = raw or {}
        return cls(
            raw.get("last"), int(raw.get("successes", 0)), int(raw.get("failures", 0)), raw.get("message", "")
        )


def parse(raw: Any, path: str) -> Probe | None:
    """A probe from its manifest form; TargetRejectedError for what the local target cannot run."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise _bad(path, "must be a mapping")
    actions = [a for a in _ACTIONS if raw.get(a) is not None]
    if "grpc" in raw:
        raise _bad(f"{path}.grpc", "gRPC probes are not supported locally (use httpGet, tcpSocket or exec)")
    if len(actions) != 1:
        raise _bad(path, "needs exactly one of httpGet, tcpSocket or exec")
    action = actions[0]
    body = raw[action]
    if not isinstance(body, Mapping):
        raise _bad(f"{path}.{action}", "must be a mapping")
    base = Probe(
        action,
        initial_delay=_number(raw, "initialDelaySeconds", 0.0, path),
        period=_number(raw, "periodSeconds", 10.0, path, positive=True),
        timeout=_number(raw, "timeoutSeconds", 1.0, path, positive=True),
        success_threshold=int(_number(raw, "successThreshold", 1, path, positive=True)),
        failure_threshold=int(_number(raw, "failureThreshold", 3, path, positive=True)),
    )
    if action == "exec":
        command = body.get("command")
        if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
            raise _bad(f"{path}.exec.command", "must be a non-empty list of strings (an argv; no shell)")
        return replace(base, command=tuple(command))
    port = body.get("port")
    if (
        isinstance(port, bool)
        or not isinstance(port, int | str)
        or (isinstance(port, int) and not 0 < port < 65536)
    ):
        raise _bad(f"{path}.{action}.port", f"must be a port number or a port name, not {port!r}")
    host = str(body.get("host") or "127.0.0.1")
    if action == "tcpSocket":
        return replace(base, port=port, host=host)
    scheme = str(body.get("scheme") or "HTTP").upper()
    if scheme not in ("HTTP", "HTTPS"):
        raise _bad(f"{path}.httpGet.scheme", f"must be HTTP or HTTPS, not {scheme!r}")
    headers = tuple(
        (str(h.get("name", "")), str(h.get("value", "")))
        for h in body.get("httpHeaders") or ()
        if isinstance(h, Mapping)
    )
    path_value = str(body.get("path") or "/")
    return replace(
        base,
        port=port,
        host=host,
        path=path_value if path_value.startswith("/") else f"/{path_value}",
        scheme=scheme,
        headers=headers,
    )


def run(probe: Probe, port: int | None, cwd: Path, env: Mapping[str, str]) -> tuple[bool, str]:
    """Run the probe once: (succeeded, what happened)."""
    try:
        if probe.action == "exec":
            return _exec(probe, cwd, env)
        if port is None:
            return False, f"{probe.action} probe has no port to check"
        if probe.action == "tcpSocket":
            with socket.create_connection((probe.host, port), timeout=probe.timeout):
                return True, f"tcp {probe.host}:{port} accepted"
        return _http(probe, port)
    except (OSError, http.client.HTTPException) as exc:
        return False, _short(f"{probe.action} probe failed: {exc}")


def _http(probe: Probe, port: int) -> tuple[bool, str]:
    connection: http.client.HTTPConnection
    if probe.scheme == "HTTPS":  # like the kubelet: the certificate is not verified
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(probe.host, port, timeout=probe.timeout, context=context)
    else:
        connection = http.client.HTTPConnection(probe.host, port, timeout=probe.timeout)
    try:
        connection.request("GET", probe.path, headers={"User-Agent": "vessel-probe/1", **dict(probe.headers)})
        response = connection.getresponse()
        response.read(64 * 1024)
    finally:
        connection.close()
    ok = 200 <= response.status < 400
    return ok, f"GET {probe.path} on port {port}: HTTP {response.status}"


def _exec(probe: Probe, cwd: Path, env: Mapping[str, str]) -> tuple[bool, str]:
    process = subprocess.Popen(
        list(probe.command),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=probe.timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return False, f"exec {probe.command[0]!r} timed out after {probe.timeout:g}s"
    text = output.decode("utf-8", "replace").strip().splitlines()
    said = f": {text[-1]}" if text else ""
    if process.returncode == 0:
        return True, _short(f"exec {probe.command[0]!r} exited 0{said}")
    return False, _short(f"exec {probe.command[0]!r} exited {process.returncode}{said}")


def _number(raw: Mapping[str, Any], name: str, default: float, path: str, *, positive: bool = False) -> float:
    value = raw.get(name, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value < 0
        or (positive and value == 0)
    ):
        sign = "positive" if positive else "non-negative"
        raise _bad(f"{path}.{name}", f"must be a {sign} number, not {value!r}")
    return float(value)


def _short(message: str) -> str:
    return message if len(message) <= _MESSAGE_MAX else message[: _MESSAGE_MAX - 1] + "…"


def _bad(path: str, message: str) -> TargetRejectedError:
    return TargetRejectedError(message, Location(path=path))
