"""`repoType: oci`: a chart is pulled from the OCI registry named by `url` (as `helm pull oci://…`),
choosing the newest tag matching the version constraint; an unreachable registry is a clear, retryable
error."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from helm_charts import OciRegistry, chart_files, serving_oci
from vessel.errors import ChartError, ChartRepositoryUnavailableError
from vessel.helm.definition import HelmTemplate

CONTEXT = {"name": "web", "namespace": "default"}


def render(url: str, version: str, chart: str = "web") -> dict[str, Any]:
    parameter = {"repoType": "oci", "url": url, "chart": chart, "version": version, "values": {}}
    parameter |= {"pullInterval": "5m", "insecure": True}
    return HelmTemplate().render({"parameter": parameter, "context": CONTEXT})


@pytest.fixture
def registry() -> Iterator[OciRegistry]:
    found = OciRegistry()
    for version in ("0.1.0", "0.1.1", "0.2.0"):
        found.add(chart_files(version=version))
    with serving_oci(found) as served:
        yield served


@pytest.mark.parametrize(("constraint", "chosen"), [("~0.1.0", "0.1.1"), ("0.1.0", "0.1.0"), ("*", "0.2.0")])
def test_the_newest_tag_matching_the_constraint_is_pulled(
    registry: OciRegistry, constraint: str, chosen: str
) -> None:
    result = render(registry.url, constraint)
    assert result["outputs"]["configmap-web-settings"]["data"] == {"chart": f"web-{chosen}"}
    assert result["output"]["kind"] == "Deployment"


def test_a_chart_the_registry_does_not_hold_is_a_chart_error(registry: OciRegistry) -> None:
    with pytest.raises(ChartError, match=r"cannot pull oci://.*/charts/nope"):
        render(registry.url, "*", chart="nope")


def test_an_unreachable_registry_is_a_retryable_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ChartRepositoryUnavailableError, match=r"cannot pull .*connection refused"):
        render(f"oci://127.0.0.1:{port}/charts", "*")
