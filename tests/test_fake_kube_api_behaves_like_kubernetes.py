"""`vessel.testing.fake_kube`: a Kubernetes API server over real HTTP on 127.0.0.1, exercised with plain
urllib requests and with lightkube (a real client, configured from the kubeconfig the fake writes)."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lightkube import ApiError, Client, KubeConfig
from lightkube.codecs import from_dict
from lightkube.generic_resource import create_namespaced_resource
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ConfigMap

from vessel.testing.fake_kube import FakeKubeServer

APPLY = "application/apply-patch+yaml"


@pytest.fixture
def kube() -> Iterator[FakeKubeServer]:
    with FakeKubeServer() as server:
        yield server


@pytest.fixture
def client(kube: FakeKubeServer, tmp_path: Path) -> Client:
    config = KubeConfig.from_file(kube.kubeconfig(tmp_path / "kubeconfig"))
    return Client(config=config, field_manager="vessel")


def call(
    kube: FakeKubeServer, method: str, path: str, body: Any = None, ctype: str = "application/json"
) -> tuple[int, dict[str, Any]]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(kube.url + path, data=data, method=method, headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def deployment(replicas: int = 2, image: str = "nginx:1.27", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", **labels}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": image, "ports": [{"containerPort": 80}]}]},
            },
        },
    }


DEPLOY = "/apis/apps/v1/namespaces/default/deployments"


def apply(
    kube: FakeKubeServer,
    obj: dict[str, Any],
    manager: str,
    force: bool = False,
    path: str = DEPLOY,
    sub: str = "",
) -> tuple[int, dict[str, Any]]:
    query = f"?fieldManager={manager}" + ("&force=true" if force else "")
    return call(kube, "PATCH", f"{path}/{obj['metadata']['name']}{sub}{query}", obj, APPLY)


def test_version_and_discovery_describe_a_1_31_cluster(kube: FakeKubeServer) -> None:
    assert (
        call(kube, "GET", "/version")[1].items()
        >= {"gitVersion": "v1.31.0", "major": "1", "minor": "31"}.items()
    )
    assert call(kube, "GET", "/api")[1]["versions"] == ["v1"]
    core = call(kube, "GET", "/api/v1")[1]
    cm = next(r for r in core["resources"] if r["name"] == "configmaps")
    assert cm == cm | {"singularName": "configmap", "namespaced": True, "kind": "ConfigMap"}
    assert "patch" in cm["verbs"]
    assert next(r for r in core["resources"] if r["name"] == "namespaces")["namespaced"] is False
    groups = {g["name"]: g for g in call(kube, "GET", "/apis")[1]["groups"]}
    assert groups["autoscaling"]["preferredVersion"]["groupVersion"] == "autoscaling/v2"
    assert {"apps", "batch", "networking.k8s.io", "rbac.authorization.k8s.io", "apiextensions.k8s.io"} <= set(
        groups
    )
    apps = call(kube, "GET", "/apis/apps/v1")[1]
    names = {r["name"] for r in apps["resources"]}
    assert {"deployments", "deployments/status", "statefulsets", "daemonsets", "replicasets"} <= names
    rbac = call(kube, "GET", "/apis/rbac.authorization.k8s.io/v1")[1]["resources"]
    assert all(not r["namespaced"] for r in rbac)
    assert call(kube, "GET", "/apis/example.com/v1")[0] == 404


def test_lightkube_applies_gets_lists_and_deletes_a_deployment(kube: FakeKubeServer, client: Client) -> None:
    applied = client.apply(from_dict(deployment()), field_manager="vessel")
    assert applied.metadata is not None and applied.metadata.managedFields is not None
    entry = applied.metadata.managedFields[0]
    assert (entry.manager, entry.operation, entry.fieldsType) == ("vessel", "Apply", "FieldsV1")
    assert entry.fieldsV1 is not None
    fields_v1 = entry.fieldsV1 if isinstance(entry.fieldsV1, dict) else entry.fieldsV1.to_dict()
    containers = fields_v1["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert containers['k:{"name":"web"}']["f:image"] == {}
    assert "." in containers['k:{"name":"web"}']

    got = client.get(Deployment, "web", namespace="default")
    assert got.metadata is not None and got.metadata.uid and got.metadata.creationTimestamp
    assert got.status is not None and got.status.readyReplicas == 2 and got.status.observedGeneration == 1
    assert [d.metadata.name for d in client.list(Deployment, namespace="default") if d.metadata] == ["web"]
    assert [d.metadata.name for d in client.list(Deployment, namespace="*") if d.metadata] == ["web"]

    client.delete(Deployment, "web", namespace="default")
    with pytest.raises(ApiError) as err:
        client.get(Deployment, "web", namespace="default")
    assert err.value.status.code == 404 and err.value.status.reason == "NotFound"
    assert err.value.status.message == 'deployments.apps "web" not found'
    assert call(kube, "DELETE", f"{DEPLOY}/web")[0] == 404


def test_two_managers_conflict_unless_forced_and_ownership_moves(
    kube: FakeKubeServer, client: Client
) -> None:
    client.apply(from_dict(deployment(replicas=2)), field_manager="vessel")
    code, status = apply(kube, deployment(replicas=5), "autoscaler")
    assert code == 409 and status["kind"] == "Status" and status["reason"] == "Conflict"
    assert 'conflict with "vessel"' in status["message"] and ".spec.replicas" in status["message"]
    assert {"reason": "FieldManagerConflict", "field": ".spec.replicas"}.items() <= status["details"][
        "causes"
    ][0].items()

    with pytest.raises(ApiError) as err:  # the same conflict, seen from lightkube
        client.apply(from_dict(deployment(replicas=7)), field_manager="other")
    assert err.value.status.code == 409

    same = apply(kube, deployment(replicas=2), "autoscaler")  # same value: shared ownership, no conflict
    assert same[0] == 200
    code, forced = apply(kube, deployment(replicas=5), "autoscaler", force=True)
    assert code == 200 and forced["spec"]["replicas"] == 5
    owners = {e["manager"]: e["fieldsV1"] for e in forced["metadata"]["managedFields"]}
    assert "f:replicas" in owners["autoscaler"]["f:spec"] and "f:replicas" not in owners["vessel"]["f:spec"]
    # vessel now reapplies without replicas: no conflict, and the autoscaler's value stays
    mine = deployment()
    del mine["spec"]["replicas"]
    after = client.apply(from_dict(mine), field_manager="vessel")
    assert after.spec is not None and after.spec.replicas == 5


def test_fields_a_manager_stops_applying_are_removed_and_keyed_lists_merge(kube: FakeKubeServer) -> None:
    first = deployment(tier="front")
    first["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "A", "value": "1"}]
    assert apply(kube, first, "vessel")[0] == 201
    sidecar = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "proxy", "image": "envoy"}]}}},
    }
    assert apply(kube, sidecar, "mesh")[0] == 200
    second = deployment()  # no tier label, no env
    code, obj = apply(kube, second, "vessel")
    assert code == 200
    assert obj["metadata"]["labels"] == {"app": "web"}
    containers = {c["name"]: c for c in obj["spec"]["template"]["spec"]["containers"]}
    assert set(containers) == {"web", "proxy"} and "env" not in containers["web"]
    assert containers["proxy"]["image"] == "envoy"


def test_put_with_a_stale_resource_version_is_a_conflict(kube: FakeKubeServer, client: Client) -> None:
    cm = client.create(ConfigMap(metadata=ObjectMeta(name="cfg"), data={"a": "1"}), namespace="default")
    assert cm.metadata is not None
    stale = cm.metadata.resourceVersion
    cm.data = {"a": "2"}
    updated = client.replace(cm)
    assert updated.metadata is not None and int(updated.metadata.resourceVersion or 0) > int(stale or 0)
    code, status = call(
        kube, "PUT", "/api/v1/namespaces/default/configmaps/cfg",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "resourceVersion": stale}},
    )  # fmt: skip
    assert (
        code == 409 and status["reason"] == "Conflict" and "the object has been modified" in status["message"]
    )
    code, status = call(kube, "POST", "/api/v1/namespaces/default/configmaps", {**status, **cm.to_dict()})
    assert code == 409 and status["reason"] == "AlreadyExists"


def test_label_and_field_selectors_filter_lists(kube: FakeKubeServer, client: Client) -> None:
    for name, labels in [
        ("a", {"app": "x", "tier": "web"}),
        ("b", {"app": "y", "tier": "db"}),
        ("c", {"app": "z"}),
    ]:
        client.create(ConfigMap(metadata=ObjectMeta(name=name, labels=labels)), namespace="default")

    def names(selector: str, fields: str = "") -> list[str]:
        query = urllib.parse.urlencode({"labelSelector": selector, "fieldSelector": fields})
        return [
            i["metadata"]["name"]
            for i in call(kube, "GET", f"/api/v1/namespaces/default/configmaps?{query}")[1]["items"]
        ]

    assert names("app=x") == names("app==x") == ["a"]
    assert names("app!=x") == ["b", "c"]
    assert names("app in (x, y)") == ["a", "b"]
    assert names("app notin (x,y)") == ["c"]
    assert names("tier") == ["a", "b"] and names("!tier") == ["c"]
    assert names("tier,app in (y,z)") == ["b"]
    assert names("", "metadata.name=c") == ["c"] and names("", "metadata.name!=c") == ["a", "b"]
    assert names("", "metadata.namespace=other") == []
    got = client.list(ConfigMap, namespace="default", labels={"tier": "web"})
    assert [c.metadata.name for c in got if c.metadata] == ["a"]


def test_a_crd_makes_its_kind_discoverable_and_servable(kube: FakeKubeServer, client: Client) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}}}],
        },
    }
    code, created = call(kube, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    assert code == 201 and created["status"]["conditions"][1]["type"] == "Established"
    resources = call(kube, "GET", "/apis/example.com/v1")[1]["resources"]
    assert resources[0].items() >= {"name": "widgets", "kind": "Widget", "namespaced": True}.items()

    Widget = create_namespaced_resource("example.com", "v1", "Widget", "widgets")
    w = Widget.from_dict(
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 1}}
    )
    client.create(w, namespace="default")
    assert client.get(Widget, "w1", namespace="default")["spec"] == {"size": 1}
    kube.set_status("widgets", "default", "w1", {"phase": "Ready"})
    assert client.get(Widget, "w1", namespace="default")["status"] == {"phase": "Ready"}
    assert [x.metadata.name for x in client.list(Widget, namespace="default") if x.metadata] == ["w1"]
    client.delete(Widget, "w1", namespace="default")
    assert client.list(Widget, namespace="default") is not None
    assert list(client.list(Widget, namespace="default")) == []

    assert (
        call(kube, "DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")[0]
        == 200
    )
    assert call(kube, "GET", "/apis/example.com/v1/namespaces/default/widgets")[0] == 404


def test_namespaced_objects_need_their_namespace(kube: FakeKubeServer) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    code, status = call(kube, "POST", "/api/v1/namespaces/nowhere/configmaps", cm)
    assert code == 404 and status["message"] == 'namespaces "nowhere" not found'
    assert status["details"] == {"name": "nowhere", "kind": "namespaces"}
    assert (
        apply(kube, {**cm, "metadata": {"name": "c"}}, "m", path="/api/v1/namespaces/nowhere/configmaps")[0]
        == 404
    )
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "nowhere"}}
    code, created = call(kube, "POST", "/api/v1/namespaces", ns)
    assert code == 201 and created["status"] == {"phase": "Active"} and "namespace" not in created["metadata"]
    assert call(kube, "POST", "/api/v1/namespaces/nowhere/configmaps", cm)[0] == 201
    assert call(kube, "DELETE", "/api/v1/namespaces/nowhere")[0] == 200
    assert call(kube, "GET", "/api/v1/namespaces/nowhere/configmaps/c")[0] == 404


def test_invalid_objects_are_422_status_objects(kube: FakeKubeServer) -> None:
    code, status = call(kube, "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "x"}})
    assert code == 422 and status["kind"] == "Status" and status["reason"] == "Invalid"
    assert {c["field"] for c in status["details"]["causes"]} == {"apiVersion", "kind"}
    code, status = call(
        kube, "POST", "/api/v1/namespaces/default/configmaps", {"apiVersion": "v1", "kind": "ConfigMap"}
    )
    assert code == 422 and status["details"]["causes"][0]["field"] == "metadata.name"


def test_status_subresource_and_generation(kube: FakeKubeServer) -> None:
    kube.controller = False
    code, created = apply(kube, deployment(), "vessel")
    assert code == 201 and created["metadata"]["generation"] == 1 and "status" not in created
    rv = int(created["metadata"]["resourceVersion"])

    status = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "status": {"readyReplicas": 1},
    }
    code, obj = call(kube, "PUT", f"{DEPLOY}/web/status", status)
    assert code == 200 and obj["status"] == {"readyReplicas": 1} and obj["metadata"]["generation"] == 1
    assert int(obj["metadata"]["resourceVersion"]) > rv

    code, obj = apply(kube, deployment(team="a"), "vessel")  # metadata only: same generation
    assert obj["metadata"]["generation"] == 1 and obj["status"] == {"readyReplicas": 1}
    code, obj = call(
        kube, "PATCH", f"{DEPLOY}/web", {"spec": {"replicas": 4}}, "application/merge-patch+json"
    )
    assert code == 200 and obj["metadata"]["generation"] == 2 and obj["status"] == {"readyReplicas": 1}
    patch = [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "nginx:2"}]
    code, obj = call(kube, "PATCH", f"{DEPLOY}/web", patch, "application/json-patch+json")
    assert code == 200 and obj["metadata"]["generation"] == 3
    code, obj = call(
        kube,
        "PATCH",
        f"{DEPLOY}/web/status",
        {"status": {"readyReplicas": 4}},
        "application/merge-patch+json",
    )
    assert obj["status"] == {"readyReplicas": 4} and obj["metadata"]["generation"] == 3
    assert kube.set_status("deployments", "default", "web", {"replicas": 4})["status"] == {"replicas": 4}
    applied_status = {**status, "status": {"readyReplicas": 2}}
    code, obj = apply(kube, applied_status, "ctl", sub="/status")
    assert code == 200 and obj["status"] == {"replicas": 4, "readyReplicas": 2}
    assert obj["spec"]["replicas"] == 4 and obj["metadata"]["generation"] == 3
    ctl = next(e for e in obj["metadata"]["managedFields"] if e["manager"] == "ctl")
    assert ctl["subresource"] == "status" and ctl["fieldsV1"] == {"f:status": {"f:readyReplicas": {}}}
    assert kube.get("deployments", "default", "web")["spec"]["replicas"] == 4

    kube.controller = True
    obj = apply(kube, deployment(replicas=3), "vessel", force=True)[1]
    assert (
        obj["status"].items()
        >= {"readyReplicas": 3, "updatedReplicas": 3, "replicas": 3, "observedGeneration": 4}.items()
    )


def test_fault_injection_fails_requests_then_recovers(kube: FakeKubeServer) -> None:
    kube.fail_next(2, 503)
    assert call(kube, "GET", "/api/v1/namespaces/default/configmaps")[0] == 503
    code, status = call(kube, "GET", "/version")
    assert code == 503 and status["reason"] == "ServiceUnavailable"
    assert call(kube, "GET", "/version")[0] == 200
    kube.unreachable = True
    with pytest.raises((urllib.error.URLError, http.client.RemoteDisconnected, ConnectionError)):
        call(kube, "GET", "/version")
    kube.unreachable = False
    assert call(kube, "GET", "/version")[0] == 200


def test_the_suite_is_fast() -> None:
    start = time.perf_counter()
    with FakeKubeServer() as kube:
        for i in range(50):
            apply(kube, {**deployment(), "metadata": {"name": f"d{i}"}}, "vessel")
        assert len(call(kube, "GET", DEPLOY)[1]["items"]) == 50
    assert time.perf_counter() - start < 2


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_applies_server_side_and_client_side(kube: FakeKubeServer, tmp_path: Path) -> None:
    config = str(kube.kubeconfig(tmp_path / "kubeconfig"))
    manifest = tmp_path / "web.yaml"
    manifest.write_text(json.dumps(deployment()))

    def kubectl(*args: str) -> str:
        run = subprocess.run(
            ["kubectl", "--kubeconfig", config, *args], capture_output=True, text=True, timeout=20
        )
        assert run.returncode == 0, run.stderr
        return run.stdout

    assert "serverside-applied" in kubectl("apply", "--server-side", "-f", str(manifest))
    assert "configured" in kubectl("apply", "-f", str(manifest))  # client-side: a strategic merge patch
    assert kubectl("get", "deploy", "web", "-o", "jsonpath={.status.readyReplicas}") == "2"
    managers = {e["manager"] for e in kube.get("deployments", "default", "web")["metadata"]["managedFields"]}
    assert {"kubectl", "kubectl-client-side-apply"} <= managers
    assert "deleted" in kubectl("delete", "deploy", "web", "--wait=false")
