"""The chart renderer: a child process that fetches and renders one chart under hard caps.

    python -S -m vessel.helm.renderer     (started by `sandbox.py`, never by hand)

It reads one ChartRequest (JSON) on stdin and writes one reply on stdout. Everything that touches
untrusted bytes happens here: downloading the index and archive (`repository.py`), or pulling from an OCI
registry, loading the archive, and Helm's rendering of its Go templates. The kernel holds this process to
the request's CPU time (RLIMIT_CPU, soft = hard: killed, not asked) and, once Helm's library is loaded, to
that size plus `memory_bytes` of address space (RLIMIT_AS); the parent kills it after `wall_seconds`. Its
own stdout is pointed at /dev/null before Helm is loaded, so nothing the library prints can corrupt the
reply.

What comes back is what `helm template --include-crds` prints, file by file: `crds/` first (unless the
request leaves them out), then every rendered template except `NOTES.txt` and files that render to nothing.
"""

from __future__ import annotations

import math
import os
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from vessel.helm.limits import ChartLimits
from vessel.helm.request import (
    CHART,
    OVER_CAP,
    UNREACHABLE,
    VALUES,
    ChartFailure,
    ChartRequest,
    RenderedChart,
)
from vessel.helm.request import encode_reply as _encode
from vessel.helm.schema_messages import schema_problems

REQUEST_LIMIT = 64 * 1024 * 1024


def render(request: ChartRequest) -> RenderedChart:
    _cap_memory(request.limits.memory_bytes)  # parsing a huge or hostile index.yaml is capped too
    source, pinned = _source(request)
    helm_python = _helm(request.limits)
    top = ""  # the chart's own name: a subchart's schema failures are under values.<subchart>
    try:
        chart = _load(helm_python, source)
        with chart:
            top = chart.name
            _check_name(top, request)
            _check_dependencies(chart)
            files = _rendered(helm_python, chart, request)
            return RenderedChart(top, pinned or chart.version, files)
    except helm_python.HelmValuesError as exc:
        raise ChartFailure(VALUES, schema_problems(str(exc), top)) from None
    except helm_python.HelmError as exc:
        raise ChartFailure(CHART, _one_line(str(exc))) from None


def _source(request: ChartRequest) -> tuple[bytes | Path, str]:
    if request.repo_type == "path":
        return Path(request.chart), ""
    if request.repo_type == "oci":
        return _pull_oci(request), ""
    if request.repo_type == "url":
        from vessel.helm.fetch import download

        limits = request.limits
        return download(
            request.url, request.url, limits.archive_bytes, limits.network_seconds, "chart archive"
        ), ""
    from vessel.helm.repository import fetch_archive

    return fetch_archive(request.url, request.chart, request.version, request.limits)


def _pull_oci(request: ChartRequest) -> bytes:
    """The chart archive, pulled into a temporary folder (removed again) and read into memory."""
    helm_python = _helm(request.limits)
    reference = request.url.rstrip("/") + "/" + request.chart
    with tempfile.TemporaryDirectory(prefix="vessel-helm-") as folder:
        try:
            version = request.version.strip() or None
            helm_python.pull(reference, destination=folder, version=version, plain_http=request.insecure)
        except helm_python.HelmError as exc:
            kind = UNREACHABLE if _looks_unreachable(str(exc)) else CHART
            raise ChartFailure(kind, f"cannot pull {reference}: {_one_line(str(exc))}") from None
        archives = sorted(Path(folder).glob("*.tgz"))
        if not archives or archives[0].stat().st_size > request.limits.archive_bytes:
            cap = request.limits.archive_bytes
            raise ChartFailure(OVER_CAP, f"{reference}: no chart archive within {cap} bytes (the cap)")
        return archives[0].read_bytes()


def _helm(limits: ChartLimits) -> Any:
    """The helm extra's module. Loading it maps Helm's ~85 MB library (and the Go runtime reserves far
    more address space), so the memory cap is lifted for the import and set again from the new size."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    import helm_python

    _cap_memory(limits.memory_bytes)
    return helm_python


def _looks_unreachable(message: str) -> bool:
    words = ("connection refused", "no such host", "timeout", "i/o timeout", "unreachable", "EOF")
    return any(word in message for word in words)


def _load(helm: Any, source: bytes | Path) -> Any:
    if isinstance(source, bytes):
        return helm.Chart.load_archive(source)
    return helm.Chart.load(str(source))


def _check_name(name: str, request: ChartRequest) -> None:
    if request.repo_type in ("helm", "oci") and name != request.chart:
        raise ChartFailure(CHART, f"chart: asked for {request.chart!r}, the archive holds chart {name!r}")


def _check_dependencies(chart: Any) -> None:
    """Helm's renderer skips a declared dependency that is absent; `helm install` refuses it. So do we:
    rendering without it would deliver part of the application and call it a success."""
    declared = [str(d.get("name")) for d in chart.metadata.get("dependencies") or [] if isinstance(d, dict)]
    present = {str(d.get("name")) for d in chart.dependencies}
    missing = [name for name in declared if name not in present]
    if missing:
        raise ChartFailure(
            CHART,
            f"chart {chart.name} declares dependencies missing from its charts/ folder: {', '.join(missing)} "
            "(Vessel never downloads them: run `helm dependency build` before packaging the chart)",
        )


def _rendered(helm: Any, chart: Any, request: ChartRequest) -> tuple[tuple[str, str], ...]:
    manifests = chart.render(
        request.values, name=request.release, namespace=request.namespace, revision=1, is_install=True
    )
    crds = [(str(c.get("filename") or c.get("name")), str(c.get("data", ""))) for c in chart.crds]
    crds = crds if request.include_crds else []
    templates = sorted((p, t) for p, t in manifests.items() if _is_manifest(p, t))
    files = tuple(crds + templates)
    _check_size(files, request.limits)
    return files


def _is_manifest(path: str, text: str) -> bool:
    return not path.endswith("NOTES.txt") and bool(text.strip())


def _check_size(files: tuple[tuple[str, str], ...], limits: ChartLimits) -> None:
    size = sum(len(text.encode()) for _, text in files)
    if size > limits.output_bytes:
        raise ChartFailure(
            OVER_CAP, f"rendered {size} bytes of manifests, more than {limits.output_bytes} (the cap)"
        )


def _one_line(message: str) -> str:
    return " ".join(message.split())[:2000]


def _cap_cpu(seconds: float) -> None:
    used = time.process_time()
    limit = math.ceil(used + seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit))


def _cap_memory(extra: int) -> None:
    with open("/proc/self/statm") as statm:
        size = int(statm.read().split()[0]) * resource.getpagesize()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = size + extra if hard == resource.RLIM_INFINITY else min(size + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops this process
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    reply_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    try:
        request = ChartRequest.from_json(sys.stdin.read(REQUEST_LIMIT))
        _cap_cpu(request.limits.cpu_seconds)
        reply = _encode(render(request))
    except ChartFailure as failure:
        reply = _encode(failure)
    except MemoryError:
        reply = _encode(ChartFailure(OVER_CAP, "used more memory than its cap"))
    with os.fdopen(reply_fd, "w", encoding="utf-8") as out:
        out.write(reply)


if __name__ == "__main__":
    main()
