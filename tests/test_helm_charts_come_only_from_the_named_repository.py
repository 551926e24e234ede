"""A chart from an HTTP chart repository: the newest version matching the constraint, downloaded only from
the repository the user named (its index cannot send Vessel elsewhere), checked against the index's digest;
an unreachable or silent repository is a clear, retryable error within a bounded time."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from helm_charts import SCHEMA, ChartRepository, chart_files, serving
from vessel.errors import ChartError, ChartRepositoryUnavailableError
from vessel.helm.definition import HelmTemplate
from vessel.helm.limits import ChartLimits

CONTEXT = {"name": "web", "namespace": "default"}


def render(
    url: str, version: str = "*", chart: str = "web", limits: ChartLimits | None = None, **more: object
):
    parameter = {"repoType": "helm", "url": url, "chart": chart, "version": version, "values": {}}
    parameter |= {"pullInterval": "5m", **more}
    return HelmTemplate(limits or ChartLimits()).render({"parameter": parameter, "context": CONTEXT})


def chart_version(result: dict) -> str:  # type: ignore[type-arg]
    return str(result["outputs"]["configmap-web-settings"]["data"]["chart"])


@pytest.fixture
def repo() -> Iterator[ChartRepository]:
    repository = ChartRepository()
    for version in ("0.1.0", "0.2.0", "0.2.1", "1.0.0", "1.1.0-rc.1"):
        repository.add(chart_files(version=version))
    repository.add(chart_files(name="other"))
    with serving(repository) as served:
        yield served


@pytest.mark.parametrize(
    ("constraint", "chosen"),
    [("*", "1.0.0"), ("", "1.0.0"), ("0.1.0", "0.1.0"), ("~0.2.0", "0.2.1"), (">=0.1, <0.2.1", "0.2.0"),
     ("^0.1 || 0.2.x", "0.2.1"), (">=1.1.0-rc.0", "1.1.0-rc.1")],
)  # fmt: skip
def test_the_newest_version_matching_the_constraint_is_rendered(
    repo: ChartRepository, constraint: str, chosen: str
) -> None:
    assert chart_version(render(repo.url, constraint)) == f"web-{chosen}"


def test_no_matching_version_names_the_versions_there_are(repo: ChartRepository) -> None:
    with pytest.raises(
        ChartError, match=r"version: no version of chart 'web' matches '\^2' .*1\.0\.0, 0\.2\.1"
    ):
        render(repo.url, "^2")


def test_an_unknown_chart_names_the_charts_there_are(repo: ChartRepository) -> None:
    with pytest.raises(
        ChartError, match=r"chart: the repository .* has no chart 'wbe' \(it has: other, web\)"
    ):
        render(repo.url, chart="wbe")


def test_values_failing_the_schema_of_a_repository_chart_name_the_value() -> None:
    repository = ChartRepository()
    repository.add({**chart_files(), "values.schema.json": SCHEMA})
    with (
        serving(repository),
        pytest.raises(ChartError, match=r"values\.replicaCount: minimum: got 0, want 1"),
    ):
        render(repository.url, values={"replicaCount": 0})


def test_an_archive_outside_the_repository_is_refused_and_never_fetched() -> None:
    elsewhere = ChartRepository()
    elsewhere.add(chart_files())
    with serving(elsewhere):
        repository = ChartRepository()
        repository.add(chart_files(), url=f"{elsewhere.url}/charts/web-0.1.0.tgz")
        with serving(repository), pytest.raises(ChartError, match=r"outside the repository .*: refused"):
            render(repository.url)
    assert elsewhere.requests == []


def test_a_redirect_outside_the_repository_is_refused_and_never_followed() -> None:
    elsewhere = ChartRepository()
    elsewhere.add(chart_files())
    with serving(elsewhere):
        repository = ChartRepository(redirects={"/index.yaml": f"{elsewhere.url}/index.yaml"})
        with serving(repository), pytest.raises(ChartError, match=r"points to http://.*/index.yaml, outside"):
            render(repository.url)
    assert repository.requests == ["/index.yaml"] and elsewhere.requests == []


def test_an_archive_that_does_not_match_its_digest_is_refused() -> None:
    repository = ChartRepository()
    repository.add(chart_files(), digest="0" * 64)
    with serving(repository), pytest.raises(ChartError, match="does not match the digest its index gives"):
        render(repository.url)


def test_a_closed_port_fails_at_once_as_an_unreachable_repository() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the socket is closed
    started = time.monotonic()
    with pytest.raises(
        ChartRepositoryUnavailableError, match=r"component 'web': .*cannot reach .*connection refused"
    ):
        render(f"http://127.0.0.1:{port}/charts")
    assert time.monotonic() - started < 20


def test_a_silent_repository_fails_within_its_network_cap() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(ChartRepositoryUnavailableError, match=r"no answer within 2 s") as failed:
            render(url, limits=ChartLimits(network_seconds=2))
    assert time.monotonic() - started < 20
    assert failed.value.give_up_after is not None  # the deploy step fails after a few tries, not never


def test_a_repository_is_asked_once_per_pull_interval(repo: ChartRepository) -> None:
    template = HelmTemplate()
    parameter = {"repoType": "helm", "url": repo.url, "chart": "web", "version": "*", "values": {}}
    for _ in range(3):
        template.render({"parameter": {**parameter, "pullInterval": "5m"}, "context": CONTEXT})
    assert repo.requests.count("/index.yaml") == 1
    template.render({"parameter": {**parameter, "pullInterval": "0s"}, "context": CONTEXT})
    assert repo.requests.count("/index.yaml") == 2


def test_a_reused_chart_is_a_fresh_copy_for_each_render(repo: ChartRepository) -> None:
    template = HelmTemplate()
    parameter = {"repoType": "helm", "url": repo.url, "chart": "web", "version": "*", "values": {}}
    variables = {"parameter": {**parameter, "pullInterval": "5m"}, "context": CONTEXT}
    first = template.render(variables)
    first["output"]["spec"]["replicas"] = 7  # as a scaler trait's patch would
    assert template.render(variables)["output"]["spec"]["replicas"] == 1
