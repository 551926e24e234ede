"""A chart is someone else's program: rendering it cannot take more CPU time, memory, wall-clock time or
output than its caps (ChartLimits), whatever its templates do — the child that renders it is stopped, and
the component's render fails with the cap named."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from helm_charts import write_chart
from vessel.definitions.limits import MIB
from vessel.errors import ChartRepositoryUnavailableError, OverCapError
from vessel.helm.limits import ChartLimits
from vessel.helm.request import ChartRequest
from vessel.helm.sandbox import render_chart

CHART = "apiVersion: v2\nname: hostile\nversion: 0.1.0\n"
LOOPS = "{{- range $i := until 100000 }}{{ range $j := until 100000 }}{{ end }}{{ end }}\n"
DOUBLING = """\
{{- $s := repeat 100 "x" }}
{{- range $i := until 40 }}{{ $s = print $s $s }}{{ end }}
apiVersion: v1
kind: ConfigMap
metadata: {name: big}
data: {size: {{ len $s | quote }}}
"""
LARGE = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: large}
data: {blob: {{ repeat 200000 "x" | quote }}}
"""


def render(tmp_path: Path, template: str, limits: ChartLimits) -> None:
    chart = write_chart(tmp_path, {"Chart.yaml": CHART, "templates/x.yaml": template})
    render_chart(ChartRequest("path", "", str(chart), "*", {}, "web", "default", limits=limits))


def test_a_chart_that_loops_for_ever_is_stopped_at_its_cpu_cap(tmp_path: Path) -> None:
    with pytest.raises(OverCapError, match=r"used more than 1 s of CPU time \(the cap\)"):
        render(tmp_path, LOOPS, ChartLimits(cpu_seconds=1))


def test_a_chart_that_grows_without_bound_is_stopped_at_its_memory_cap(tmp_path: Path) -> None:
    with pytest.raises(OverCapError, match=r"used more than 256 MiB of memory \(the cap\)"):
        render(tmp_path, DOUBLING, ChartLimits(memory_bytes=256 * MIB))


def test_a_chart_that_renders_more_than_its_output_cap_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OverCapError, match=r"more than 65536 \(the cap\)"):
        render(tmp_path, LARGE, ChartLimits(output_bytes=64 * 1024))


def test_a_render_still_running_at_the_wall_cap_is_stopped() -> None:
    with socket.socket() as silent:  # the child waits on it (30 s per read), the parent stops it at 2 s
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        request = ChartRequest(
            "helm", f"http://127.0.0.1:{silent.getsockname()[1]}", "web", "*",
            limits=ChartLimits(network_seconds=30, wall_seconds=2),
        )  # fmt: skip
        started = time.monotonic()
        with pytest.raises(ChartRepositoryUnavailableError, match=r"took longer than 2 s \(the cap\)"):
            render_chart(request)
    assert time.monotonic() - started < 10
