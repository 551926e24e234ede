"""A native helmchart's `valuesFrom` reads its ConfigMaps and Secrets from the cluster of the Kubernetes
target it is delivered to, merged as KubeVela merges them (entries in order, then the inline `values` over
them; maps merged, lists replaced). A source that is missing is an error naming the entry unless it is
optional; a target without a cluster (memory, directory, local) says to put the values inline; a source
in another namespace than the release's or the application's is refused, naming the field."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from helm_charts import SCHEMA, ChartRepository, chart_files, helm_harness, serving
from vessel.cli.main import app as cli
from vessel.definitions.limits import DEFAULT_LIMITS
from vessel.definitions.target_reads import TargetReads
from vessel.errors import ChartError, Location
from vessel.helm.definition import HelmTemplate, helmchart_definition
from vessel.model.resource_key import ResourceKey
from vessel.store import Phase
from vessel.targets.memory import MemoryTarget
from vessel.targets.protocol import TargetInfo
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer

SHOW_VALUES = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-values}
data: {values: {{ toJson .Values | quote }}}
"""
BASE = "replicaCount: 3\nimage: cm:1\nresources: {limits: {cpu: 100m, memory: 256Mi}}\nargs: [a, b]\n"
OVERLAY = "image: secret:1\nresources: {limits: {cpu: 500m}}\nargs: [c]\n"


@pytest.fixture(scope="module")
def repo() -> Iterator[ChartRepository]:
    repository = ChartRepository()
    repository.add({**chart_files(), "templates/values.yaml": SHOW_VALUES})
    with serving(repository) as served:
        yield served


def config_map(name: str, text: str, namespace: str = "default", key: str = "values.yaml") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": {key: text}}  # fmt: skip


def secret(name: str, text: str, namespace: str = "default") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
            "type": "Opaque", "data": {"values.yaml": base64.b64encode(text.encode()).decode()}}  # fmt: skip


# -- the merge, through a reader of a cluster (a memory target stands in for the API server) ----------


def render(url: str, extra: dict[str, Any], *objects: dict[str, Any], cluster: bool = True) -> dict[str, Any]:
    held = MemoryTarget(TargetInfo("k", "memory"))
    for body in objects:
        held.apply(body)
    parameter = helmchart_definition().parameters.resolve(
        {"chart": {"source": "web", "repoURL": url}, **extra},
        lambda path: Location(),
    )
    context = {"name": "web", "namespace": "default", "appName": "shop"}
    reads = TargetReads("k", held if cluster else None)
    return HelmTemplate().render_reading({"parameter": parameter, "context": context}, DEFAULT_LIMITS, reads)


def shown_values(result: dict[str, Any]) -> dict[str, Any]:
    found = next(o for o in result["outputs"].values() if o["metadata"]["name"] == "web-values")
    return json.loads(found["data"]["values"])  # type: ignore[no-any-return]


def test_sources_merge_in_order_and_inline_values_win(repo: ChartRepository) -> None:
    extra = {
        "values": {"replicaCount": 2},
        "valuesFrom": [{"kind": "ConfigMap", "name": "base"}, {"kind": "Secret", "name": "overlay"}],
    }
    values = shown_values(render(repo.url, extra, config_map("base", BASE), secret("overlay", OVERLAY)))
    assert values == {
        "replicaCount": 2,  # inline, over the ConfigMap's 3
        "image": "secret:1",  # the later source, over the ConfigMap's
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},  # maps merge
        "args": ["c"],  # lists are replaced
    }


def test_a_missing_source_is_an_error_naming_the_entry_unless_optional(repo: ChartRepository) -> None:
    missing = {"valuesFrom": [{"kind": "ConfigMap", "name": "base"}, {"kind": "ConfigMap", "name": "gone"}]}
    with pytest.raises(
        ChartError, match=r"valuesFrom\[1\]: ConfigMap default/gone does not exist on target 'k'"
    ):
        render(repo.url, missing, config_map("base", BASE))
    optional = {"valuesFrom": [{"kind": "ConfigMap", "name": "gone", "optional": True}]}
    assert shown_values(render(repo.url, optional))["replicaCount"] == 1  # the chart's default
    wrong_key = {"valuesFrom": [{"kind": "ConfigMap", "name": "base", "key": "prod.yaml"}]}
    with pytest.raises(
        ChartError, match=r"valuesFrom\[0\]: .* has no key 'prod.yaml' under data \(it has: values.yaml\)"
    ):
        render(repo.url, wrong_key, config_map("base", BASE))


def test_a_source_outside_the_release_and_application_namespaces_is_refused(repo: ChartRepository) -> None:
    elsewhere = {"valuesFrom": [{"kind": "Secret", "name": "overlay", "namespace": "team-b"}]}
    with pytest.raises(ChartError, match=r"valuesFrom\[0\]\.namespace: Secret overlay may only be read from"):
        render(repo.url, elsewhere, secret("overlay", OVERLAY, "team-b"))


def test_a_target_without_a_cluster_says_to_put_the_values_inline(repo: ChartRepository) -> None:
    given = {"valuesFrom": [{"kind": "ConfigMap", "name": "base"}]}
    with pytest.raises(ChartError, match=r"valuesFrom\[0\]: target 'k' has no Kubernetes cluster") as failed:
        render(repo.url, given, cluster=False)
    assert failed.value.hint is not None and "`values`" in failed.value.hint
    optional = {"valuesFrom": [{"kind": "ConfigMap", "name": "base", "optional": True}]}
    assert shown_values(render(repo.url, optional, cluster=False))["image"] == "nginx:1.27"


def test_a_malformed_secret_is_refused_without_showing_it(repo: ChartRepository) -> None:
    given = {"valuesFrom": [{"kind": "Secret", "name": "overlay"}]}
    with pytest.raises(ChartError, match=r"valuesFrom\[0\]: .* is not valid YAML \(line 2\)") as failed:
        render(repo.url, given, secret("overlay", "hunter2: a\nhunter2: b\n"))  # the reader names the key
    assert "hunter2" not in str(failed.value)


# -- end to end: a fake API server as the target ------------------------------------------------------


@pytest.fixture
def kube() -> Iterator[FakeKubeServer]:
    with FakeKubeServer() as server:
        yield server


@pytest.fixture
def h(kube: FakeKubeServer, tmp_path: Path) -> Iterator[Harness]:
    with helm_harness(kube, tmp_path) as harness:
        yield harness


def app(url: str, cluster: str, properties: str = "") -> str:
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - name: web
      type: helmchart
      properties:
        chart: {{source: web, repoURL: "{url}"}}
        valuesFrom: [{{kind: ConfigMap, name: shop-config}}]
{properties}
  policies:
    - {{name: place, type: topology, properties: {{clusters: [{cluster}]}}}}
"""


def test_values_come_from_a_config_map_on_the_kubernetes_target(
    h: Harness, repo: ChartRepository, kube: FakeKubeServer
) -> None:
    configmaps = kube.cluster.type_by_plural("configmaps")
    kube.cluster.create(
        configmaps, "default", config_map("shop-config", "replicaCount: 4\nimage: shop/web:2\n")
    )
    record = h.up(app(repo.url, "k"), timeout=60)
    assert record.phase == Phase.RUNNING, record.message
    deployment = kube.get("deployments", "default", "web")
    assert deployment["spec"]["replicas"] == 4
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/web:2"


def test_on_a_memory_target_the_run_fails_naming_the_field(h: Harness, repo: ChartRepository) -> None:
    record = h.up(app(repo.url, "mem"), timeout=60)
    assert record.phase == Phase.FAILED
    run = h.store.latest_run(record.id)
    assert run is not None
    assert "valuesFrom[0]: target 'mem' has no Kubernetes cluster" in run.message, run.message
    assert ResourceKey("apps/v1", "Deployment", "default", "web") not in h.targets["mem"].objects


def test_create_namespace_false_needs_the_namespace_to_exist(
    h: Harness, repo: ChartRepository, kube: FakeKubeServer
) -> None:
    configmaps = kube.cluster.type_by_plural("configmaps")
    kube.cluster.create(configmaps, "default", config_map("shop-config", "replicaCount: 1\n"))
    properties = "        release: {namespace: default}\n        options: {createNamespace: false}\n"
    assert h.up(app(repo.url, "k", properties), timeout=60).phase == Phase.RUNNING  # `default` exists
    missing = "        release: {namespace: web-system}\n        options: {createNamespace: false}\n"
    record = h.up(app(repo.url, "k", missing).replace("name: shop", "name: other"), timeout=60)
    assert record.phase == Phase.FAILED
    run = h.store.latest_run(record.id)
    assert run is not None
    assert "options.createNamespace is false and namespace 'web-system' does not exist" in run.message


# -- `vessel up` checks the application before delivering: with what the cluster holds now ------------


@pytest.fixture
def cli_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKubeServer]:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    with FakeKubeServer() as server:
        kubeconfig = str(server.kubeconfig(tmp_path / "kubeconfig"))
        added = CliRunner().invoke(
            cli, ["target", "add", "k", "--type", "kubernetes", "--kubeconfig", kubeconfig]
        )
        assert added.exit_code == 0, added.output
        yield server


def cli_up(tmp_path: Path, text: str) -> Result:
    (tmp_path / "app.yaml").write_text(text)
    return CliRunner().invoke(cli, ["up", "-f", str(tmp_path / "app.yaml")])


def test_up_checks_a_chart_requiring_values_with_those_its_sources_hold(
    tmp_path: Path, cli_cluster: FakeKubeServer
) -> None:
    schema_repo = ChartRepository()
    schema_repo.add({**chart_files(), "values.yaml": "replicaCount: 1\n", "values.schema.json": SCHEMA})
    configmaps = cli_cluster.cluster.type_by_plural("configmaps")
    cli_cluster.cluster.create(configmaps, "default", config_map("shop-config", "image: shop/web:3\n"))
    with serving(schema_repo) as served:
        result = cli_up(
            tmp_path, app(served.url, "k")
        )  # the image, which the schema requires, is in the source
    assert result.exit_code == 0, result.output
    deployment = cli_cluster.get("deployments", "default", "web")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/web:3"


def test_up_accepts_a_source_an_earlier_component_creates(
    tmp_path: Path, repo: ChartRepository, cli_cluster: FakeKubeServer
) -> None:
    text = (
        app(repo.url, "k")
        .replace(
            "  components:\n",
            "  components:\n    - name: config\n      type: k8s-objects\n"
            "      properties:\n        objects:\n"
            "          - {apiVersion: v1, kind: ConfigMap, metadata: {name: shop-config},"
            " data: {values.yaml: 'replicaCount: 5'}}\n",
        )
        .replace("      type: helmchart\n", "      type: helmchart\n      dependsOn: [config]\n")
    )
    result = cli_up(tmp_path, text)
    assert result.exit_code == 0, result.output
    assert cli_cluster.get("deployments", "default", "web")["spec"]["replicas"] == 5
