"""The parent side of chart rendering: run the renderer child under its caps, and read its answer.

One child per render (not a pool like template workers): Helm's library is a Go runtime of ~85 MB that
does not share a process well with limits re-armed per job, and a chart render is rare next to its
delivery. The child gets a minimal environment — how to find programs, read text and time, reach the
network through this machine's proxy, and HOME (where Helm keeps OCI registry logins) — not the store's
URL or other secrets of this process. It is stopped after `wall_seconds`, and its stdout is read up to a
cap, whatever it does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from vessel.errors import (
    ChartError,
    ChartRepositoryUnavailableError,
    Location,
    OverCapError,
    TemplateWorkerError,
)
from vessel.helm.request import (
    OVER_CAP,
    UNREACHABLE,
    VALUES,
    ChartFailure,
    ChartRequest,
    RenderedChart,
    decode_reply,
)

COMMAND = (sys.executable, "-S", "-m", "vessel.helm.renderer")
_PASSED = ("PATH", "LANG", "TZ", "TMPDIR", "HOME", "HELM_C_LIB")
_PROXIES = ("http_proxy", "https_proxy", "no_proxy", "all_proxy")
HERE = Location("helmchart")  # where a failure arose, as the component's message shows it
GIVE_UP_AFTER = 3  # an unreachable repository: consecutive failures before the deploy step fails


def render_chart(request: ChartRequest) -> RenderedChart:
    """Fetch and render `request` in a capped child; VesselError subclasses say what went wrong."""
    stdout, stderr, code = _run(request)
    try:
        return decode_reply(stdout.decode("utf-8", "replace"))
    except ChartFailure as failure:
        raise _error(failure, request) from None
    except ValueError:
        raise _died(code, stderr, request) from None


def _run(request: ChartRequest) -> tuple[bytes, bytes, int]:
    limits = request.limits
    try:
        child = subprocess.Popen(
            COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_environment()
        )
    except OSError as exc:
        raise TemplateWorkerError(f"cannot start the chart renderer: {exc}") from None
    try:
        stdout, stderr = child.communicate(request.to_json().encode(), timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise _timed_out(request) from None
    if len(stdout) > 2 * limits.output_bytes + 1024 * 1024:
        raise OverCapError(f"{_what(request)}: the renderer answered more than its output cap", HERE)
    return stdout, stderr, child.returncode


def _environment() -> dict[str, str]:
    kept = {
        k: v for k, v in os.environ.items() if k in _PASSED or k.startswith("LC_") or k.lower() in _PROXIES
    }
    paths = [p for p in sys.path if p and os.path.isabs(p)]  # not the current directory
    return {**kept, "PYTHONPATH": os.pathsep.join(paths)}


def _error(failure: ChartFailure, request: ChartRequest) -> Exception:
    what = _what(request)
    if failure.kind == UNREACHABLE:
        return ChartRepositoryUnavailableError(
            f"{what}: {failure.message}",
            hint="check the url, and that the repository is up and reachable from here",
            give_up_after=GIVE_UP_AFTER,
        )
    if failure.kind == OVER_CAP:
        return OverCapError(f"{what}: {failure.message}", HERE)
    if failure.kind == VALUES:
        return ChartError(f"{what}: {failure.message}", HERE, "fix properties.values")
    return ChartError(f"{what}: {failure.message}", HERE)


def _timed_out(request: ChartRequest) -> Exception:
    seconds = request.limits.wall_seconds
    if request.repo_type == "path":
        return OverCapError(f"{_what(request)}: rendering took longer than {seconds:g} s (the cap)", HERE)
    return ChartRepositoryUnavailableError(
        f"{_what(request)}: fetching and rendering took longer than {seconds:g} s (the cap)",
        hint="is the repository slow, or the chart very large?",
        give_up_after=GIVE_UP_AFTER,
    )


def _died(code: int, stderr: bytes, request: ChartRequest) -> Exception:
    what = _what(request)
    if code == -signal.SIGKILL or code == -signal.SIGXCPU:
        seconds = request.limits.cpu_seconds
        return OverCapError(
            f"{what}: used more than {seconds:g} s of CPU time (the cap) and was stopped", HERE
        )
    said = stderr.decode("utf-8", "replace")
    if "out of memory" in said or "cannot allocate memory" in said:  # Go's runtime, aborting
        cap = request.limits.memory_bytes
        return OverCapError(f"{what}: used more than {cap // (1024 * 1024)} MiB of memory (the cap)", HERE)
    last = _first_line(said)
    return TemplateWorkerError(f"{what}: the chart renderer died ({_how(code)}){': ' + last if last else ''}")


def _what(request: ChartRequest) -> str:
    where = request.chart if request.repo_type in ("path", "url") else f"{request.chart} from {request.url}"
    return f"helm chart {where}"


def _first_line(said: str) -> str:
    """What a crash said first (a Go panic's cause precedes its stack; Python's traceback ends with it)."""
    lines = [line.strip() for line in said.splitlines() if line.strip()]
    if not lines:
        return ""
    return (lines[-1] if lines[0].startswith("Traceback") else lines[0])[:500]


def _how(code: int) -> str:
    if code >= 0:
        return f"exit status {code}"
    try:
        return f"signal {signal.Signals(-code).name}"
    except ValueError:
        return f"signal {-code}"
