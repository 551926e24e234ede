"""A KubeVela Application written for KubeVela's current built-in `helmchart` (`chart: {source, repoURL,
version}`, `release`, `values`, `options` — the shape of KubeVela's e2e file app_helmchart_podinfo.yaml)
renders unchanged in Vessel: the chart's objects with KubeVela's annotations, plus the release ConfigMap
KubeVela renders as the component's output. A mistake in that shape is one error naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from helm_charts import (
    CRD,
    TEST_HOOK,
    ChartRepository,
    OciRegistry,
    chart_files,
    helm_registry,
    serving,
    serving_oci,
)
from vessel.definitions.registry import Registry
from vessel.errors import ChartError, VesselError
from vessel.model.parse import parse_application
from vessel.model.yaml_source import read_text
from vessel.render.application import render_application

INSTALL_HOOK = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migrate
  annotations: {"helm.sh/hook": pre-install}
spec: {template: {spec: {restartPolicy: Never, containers: [{name: m, image: busybox}]}}}
"""


@pytest.fixture(scope="module")
def repo() -> Iterator[ChartRepository]:
    repository = ChartRepository()
    extra = {"crds/widgets.yaml": CRD, "templates/test.yaml": TEST_HOOK, "templates/job.yaml": INSTALL_HOOK}
    repository.add({**chart_files(name="podinfo", version="6.10.0"), **extra})
    repository.add({**chart_files(name="podinfo", version="6.11.1"), **extra})
    with serving(repository) as served:
        yield served


def registry() -> Registry:
    return helm_registry()


def rendered(properties: str, found: Registry | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    text = f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: podinfo-helm-test, namespace: apps}}
spec:
  components:
    - name: podinfo
      type: helmchart
      properties:
{properties}"""
    application = parse_application(read_text(text, "app.yaml")[0])
    (component,) = render_application(application, found or registry())
    return {(r.body["kind"], r.body["metadata"]["name"]): r.body for r in component.resources}


def podinfo(url: str, options: str = "createNamespace: true, includeCRDs: true, skipTests: true") -> str:
    """KubeVela's app_helmchart_podinfo.yaml, pointed at the test's repository."""
    return f"""\
        chart:
          source: podinfo
          repoURL: {url}
          version: "6.11.1"
        release:
          name: podinfo
          namespace: placeholder-ns
        values:
          replicaCount: 2
          resources:
            limits:
              memory: 256Mi
              cpu: 100m
        options: {{{options}}}
"""


def test_kubevelas_podinfo_application_renders_the_chart_and_the_release_config_map(
    repo: ChartRepository,
) -> None:
    objects = rendered(podinfo(repo.url))
    assert set(objects) == {
        ("Deployment", "podinfo"),
        ("ConfigMap", "podinfo-settings"),
        ("CustomResourceDefinition", "widgets.example.com"),
        ("Job", "podinfo-migrate"),  # a hook, delivered as an object (skipHooks is false)
        ("ConfigMap", "podinfo-helm-release"),
    }  # the test hook is left out (skipTests)
    deployment = objects["Deployment", "podinfo"]
    assert deployment["spec"]["replicas"] == 2  # the inline value
    assert deployment["metadata"]["namespace"] == "placeholder-ns"  # release.namespace
    assert deployment["metadata"]["annotations"]["meta.helm.sh/release-name"] == "podinfo"
    assert deployment["metadata"]["annotations"]["meta.helm.sh/release-namespace"] == "placeholder-ns"
    assert deployment["metadata"]["labels"]["app.oam.dev/component"] == "podinfo"
    assert objects["ConfigMap", "podinfo-settings"]["data"] == {"chart": "podinfo-6.11.1"}  # the version

    release = objects["ConfigMap", "podinfo-helm-release"]
    assert release["metadata"]["namespace"] == "placeholder-ns"
    assert release["metadata"]["annotations"]["helm.oam.dev/chart"] == "podinfo"
    labels = release["metadata"]["labels"]
    assert labels["helm.oam.dev/chart"] == "podinfo"
    assert (labels["app.oam.dev/name"], labels["app.oam.dev/namespace"]) == ("podinfo-helm-test", "apps")
    assert release["data"] == {
        "chartSource": "podinfo",
        "releaseName": "podinfo",
        "releaseNamespace": "placeholder-ns",
        "repoURL": repo.url,
        "chartVersion": "6.11.1",
        "resourceCount": "4",
    }


def test_release_and_version_default_to_the_component_the_application_and_the_newest(
    repo: ChartRepository,
) -> None:
    objects = rendered(f"        chart: {{source: podinfo, repoURL: '{repo.url}'}}\n")
    assert objects["ConfigMap", "podinfo-settings"]["data"] == {"chart": "podinfo-6.11.1"}  # latest
    release = objects["ConfigMap", "podinfo-helm-release"]
    assert release["metadata"]["namespace"] == "apps"
    assert objects["Deployment", "podinfo"]["metadata"]["namespace"] == "apps"
    assert "chartVersion" not in release["data"]  # as KubeVela: only when given
    assert (release["data"]["releaseName"], release["data"]["releaseNamespace"]) == ("podinfo", "apps")


def test_a_chart_archive_url_is_a_source_and_is_no_label_value(repo: ChartRepository) -> None:
    archive = f"{repo.url}/charts/podinfo-6.10.0.tgz"
    objects = rendered(f"        chart: {{source: '{archive}'}}\n")
    assert objects["ConfigMap", "podinfo-settings"]["data"] == {"chart": "podinfo-6.10.0"}
    release = objects["ConfigMap", "podinfo-helm-release"]
    assert release["metadata"]["annotations"]["helm.oam.dev/chart"] == archive
    assert "helm.oam.dev/chart" not in release["metadata"]["labels"]


def test_an_oci_reference_is_a_source() -> None:
    registry = OciRegistry()
    for version in ("0.1.0", "0.2.0"):
        registry.add(chart_files(name="podinfo", version=version))
    with serving_oci(registry) as served:
        newest = rendered(f"        chart: {{source: '{served.url}/podinfo'}}\n")
        pinned = rendered(f"        chart: {{source: '{served.url}/podinfo', version: 0.1.0}}\n")
    assert newest["ConfigMap", "podinfo-settings"]["data"] == {"chart": "podinfo-0.2.0"}  # latest
    assert pinned["ConfigMap", "podinfo-settings"]["data"] == {"chart": "podinfo-0.1.0"}


def test_options_choose_crds_tests_and_hooks(repo: ChartRepository) -> None:
    options = "includeCRDs: false, skipTests: false, skipHooks: true"
    objects = rendered(podinfo(repo.url, options))
    assert ("CustomResourceDefinition", "widgets.example.com") not in objects
    assert ("Job", "podinfo-migrate") not in objects  # skipHooks leaves every hook out…
    assert ("Pod", "podinfo-test") not in objects  # …test hooks included
    kept = rendered(podinfo(repo.url, "skipTests: false"))
    assert ("Pod", "podinfo-test") in kept and ("CustomResourceDefinition", "widgets.example.com") in kept


@pytest.mark.parametrize(
    ("version", "cache", "fetches"),
    [
        ("6.11.1", "{}", 1),  # an exact version is reused (immutableTTL: 24h)
        ("6.11.1", "{ttl: '0'}", 2),  # never reused
        ("6.11.1", "{immutableTTL: '0'}", 2),
        ("6.11.1", "{mutableTTL: '0'}", 1),  # the version is exact: mutableTTL does not apply
        ("^6.0", "{mutableTTL: '0'}", 2),  # a constraint can move: mutableTTL applies
        ("^6.0", "{immutableTTL: '0'}", 1),
    ],
)
def test_options_cache_decides_when_the_repository_is_asked_again(
    repo: ChartRepository, version: str, cache: str, fetches: int
) -> None:
    found = registry()  # one definition, so one cache, for both renders
    properties = podinfo(repo.url, f"cache: {cache}").replace('"6.11.1"', f'"{version}"')
    before = repo.requests.count("/index.yaml")
    rendered(properties, found)
    rendered(properties, found)
    assert repo.requests.count("/index.yaml") - before == fetches


@pytest.mark.parametrize(
    ("properties", "said"),
    [
        (
            "        chart: {sourc: podinfo, repoURL: 'http://127.0.0.1:1'}\n",
            r"properties\.chart\.sourc: unknown field \(did you mean `source`\?\)",
        ),
        (
            "        chart: {source: podinfo}\n        repoType: helm\n",
            r"properties\.repoType: unknown field: with chart as an object, repoType belongs to the other "
            r"helmchart shape; use chart\.source",
        ),
        (
            "        chart: web\n        release: {name: web}\n",
            r"properties\.release: unknown field: .* use releaseName and targetNamespace",
        ),
        ("        chart: 5\n", r"properties\.chart: expected an object .* or a string .*, got 5"),
        (
            "        chart: {source: podinfo}\n        valuesFrom: [{kind: Deployment, name: x}]\n",
            r"properties\.valuesFrom\[0\]\.kind: expected one of 'Secret', 'ConfigMap'",
        ),
    ],
)
def test_a_wrong_native_shape_is_one_error_naming_the_field(properties: str, said: str) -> None:
    with pytest.raises(VesselError, match=said):
        rendered(properties)


def test_a_chart_name_without_a_repository_names_repo_url() -> None:
    with pytest.raises(ChartError, match=r"chart\.repoURL: chart\.source 'podinfo' names a chart"):
        rendered("        chart: {source: podinfo}\n")


def test_repository_credentials_are_refused_not_ignored(repo: ChartRepository) -> None:
    chart = f"{{source: podinfo, repoURL: '{repo.url}', auth: {{secretRef: {{name: creds}}}}}}"
    auth = f"        chart: {chart}\n"
    with pytest.raises(ChartError, match=r"chart\.auth: credentials for private chart repositories are not"):
        rendered(auth)
