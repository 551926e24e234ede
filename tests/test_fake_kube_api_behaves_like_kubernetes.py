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
from lightkube.resources.core_v1 import ConfigMap, Pod

from vessel.testing.fake_kube import FakeKubeServer, KubeError, workloads

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
REVISION = "deployment.kubernetes.io/revision"


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


# -- version, defaults, no-op writes ---------------------------------------------------------------


def read(kube: FakeKubeServer, path: str) -> tuple[int, str, str]:
    """GET `path` as text: the status code, the content type and the body."""
    try:
        with urllib.request.urlopen(kube.url + path, timeout=5) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read().decode()


def test_the_version_asked_for_is_the_version_served() -> None:
    with FakeKubeServer(version="1.27") as kube:
        version = call(kube, "GET", "/version")[1]
        assert version.items() >= {"major": "1", "minor": "27", "gitVersion": "v1.27.0"}.items()
        assert version["platform"] == "linux/amd64" and version["compiler"] == "gc"
        assert call(kube, "GET", "/openapi/v3/apis/apps/v1")[1]["info"]["version"] == "v1.27.0"
        node = call(kube, "GET", "/api/v1/nodes/fake-node")[1]
        assert node["status"]["nodeInfo"]["kubeletVersion"] == "v1.27.0"
    with pytest.raises(ValueError, match="not a Kubernetes version"):
        FakeKubeServer(version="latest")


def test_replicas_default_to_one_and_belong_to_no_manager(kube: FakeKubeServer) -> None:
    kube.controller = False
    web = deployment()
    del web["spec"]["replicas"]
    obj = apply(kube, web, "vessel")[1]
    assert obj["spec"]["replicas"] == 1
    assert "f:replicas" not in obj["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"]
    sts = {**deployment(), "kind": "StatefulSet", "metadata": {"name": "db"}}
    del sts["spec"]["replicas"]
    code, created = call(kube, "POST", "/apis/apps/v1/namespaces/default/statefulsets", sts)
    assert code == 201 and created["spec"]["replicas"] == 1
    rs = {**sts, "kind": "ReplicaSet", "metadata": {"name": "rs"}}
    assert call(kube, "POST", "/apis/apps/v1/namespaces/default/replicasets", rs)[1]["spec"]["replicas"] == 1
    assert call(kube, "PUT", f"{DEPLOY}/web", {**web, "spec": {**web["spec"], "replicas": 4}})[0] == 200
    code, put = call(kube, "PUT", f"{DEPLOY}/web", web)  # a replace without replicas: defaulted again
    assert code == 200 and put["spec"]["replicas"] == 1 and put["metadata"]["generation"] == 3


def test_writes_that_change_nothing_keep_the_resource_version(
    kube: FakeKubeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = apply(kube, deployment(), "vessel")[1]
    rv = first["metadata"]["resourceVersion"]
    monkeypatch.setattr(workloads, "now", lambda: "2099-01-01T00:00:00Z")  # timestamps written anew differ
    again = apply(kube, deployment(), "vessel")[1]
    assert again == first
    merge = "application/merge-patch+json"
    assert call(kube, "PATCH", f"{DEPLOY}/web", {"spec": {"replicas": 2}}, merge)[1] == first
    code, put = call(kube, "PUT", f"{DEPLOY}/web", first)
    assert code == 200 and put["metadata"]["resourceVersion"] == rv
    assert call(kube, "PUT", f"{DEPLOY}/web/status", first)[1]["metadata"]["resourceVersion"] == rv
    pod = kube.pods("default")[0]
    name, pod_rv = pod["metadata"]["name"], pod["metadata"]["resourceVersion"]
    assert kube.set_status("pods", "default", name, pod["status"])["metadata"]["resourceVersion"] == pod_rv
    assert kube.get("deployments", "default", "web") == first

    changed = apply(kube, deployment(replicas=3), "vessel")[1]
    assert int(changed["metadata"]["resourceVersion"]) > int(rv) and changed["metadata"]["generation"] == 2
    labelled = apply(kube, deployment(replicas=3, team="a"), "vessel")[1]
    assert labelled["metadata"]["resourceVersion"] != changed["metadata"]["resourceVersion"]
    assert labelled["metadata"]["generation"] == 2  # metadata is not spec


# -- pods, workloads and logs ----------------------------------------------------------------------


def owner_of(obj: dict[str, Any]) -> tuple[str, str]:
    (ref,) = obj["metadata"]["ownerReferences"]
    assert ref["controller"] is True and ref["blockOwnerDeletion"] is True and ref["uid"]
    return ref["kind"], ref["name"]


def test_a_deployment_runs_ready_pods_through_a_replicaset(kube: FakeKubeServer, client: Client) -> None:
    code, web = apply(kube, deployment(replicas=2), "vessel")
    assert code == 201
    status = web["status"]  # reconciled before the answer
    assert status.items() >= {"observedGeneration": 1, "replicas": 2, "readyReplicas": 2}.items()
    assert (
        status["updatedReplicas"] == status["availableReplicas"] == 2 and "unavailableReplicas" not in status
    )
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Available"].items() >= {"status": "True", "reason": "MinimumReplicasAvailable"}.items()
    assert conditions["Progressing"]["reason"] == "NewReplicaSetAvailable"

    (rs,) = call(kube, "GET", "/apis/apps/v1/namespaces/default/replicasets")[1]["items"]
    digest = rs["metadata"]["labels"]["pod-template-hash"]
    assert (
        len(digest) == 10
        and rs["metadata"]["name"] == f"web-{digest}"
        and owner_of(rs) == ("Deployment", "web")
    )
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": digest}
    assert rs["metadata"]["annotations"][REVISION] == "1"
    assert rs["status"].items() >= {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2}.items()

    pods = kube.pods("default", "app=web")
    assert len(pods) == 2 and all(owner_of(p) == ("ReplicaSet", rs["metadata"]["name"]) for p in pods)
    pod = pods[0]
    assert pod["metadata"]["name"].startswith(f"web-{digest}-") and len(pod["metadata"]["name"]) == 20
    assert pod["metadata"]["labels"] == {"app": "web", "pod-template-hash": digest}
    assert pod["spec"]["nodeName"] == "fake-node" and pod["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert pod["status"]["phase"] == "Running" and pod["status"]["podIP"].startswith("10.0.0.")
    assert pod["status"]["hostIP"] and len({p["status"]["podIP"] for p in pods}) == 2
    assert {c["type"]: c["status"] for c in pod["status"]["conditions"]} == dict.fromkeys(
        ("Initialized", "Ready", "ContainersReady", "PodScheduled"), "True"
    )
    (container,) = pod["status"]["containerStatuses"]
    assert container.items() >= {"name": "web", "image": "nginx:1.27", "imageID": "", "ready": True}.items()
    assert container["started"] is True and container["restartCount"] == 0
    assert container["state"]["running"]["startedAt"]
    assert [p.metadata.name for p in client.list(Pod, namespace="default") if p.metadata] == [
        p["metadata"]["name"] for p in pods
    ]

    kept = {p["metadata"]["name"] for p in pods}
    assert apply(kube, deployment(replicas=3), "vessel")[1]["status"]["readyReplicas"] == 3
    assert kept < {p["metadata"]["name"] for p in kube.pods("default")}  # scaling up keeps the pods
    assert apply(kube, deployment(replicas=1), "vessel")[1]["status"]["replicas"] == 1
    assert len(kube.pods("default")) == 1

    rolled = apply(kube, deployment(replicas=2, image="nginx:1.28"), "vessel")[1]  # an instant rollout
    assert rolled["status"]["updatedReplicas"] == rolled["status"]["replicas"] == 2
    sets = {
        r["metadata"]["name"]: r
        for r in call(kube, "GET", "/apis/apps/v1/namespaces/default/replicasets")[1]["items"]
    }
    new = next(r for n, r in sets.items() if n != rs["metadata"]["name"])
    assert sets[rs["metadata"]["name"]]["spec"]["replicas"] == 0 and new["spec"]["replicas"] == 2
    assert new["metadata"]["annotations"][REVISION] == "2"
    assert {p["metadata"]["labels"]["pod-template-hash"] for p in kube.pods("default")} == {
        new["metadata"]["labels"]["pod-template-hash"]
    }
    assert {p["spec"]["containers"][0]["image"] for p in kube.pods("default")} == {"nginx:1.28"}
    apply(kube, deployment(replicas=2), "vessel")  # back to the first template: its ReplicaSet returns
    back = call(kube, "GET", f"/apis/apps/v1/namespaces/default/replicasets/{rs['metadata']['name']}")[1]
    assert back["spec"]["replicas"] == 2 and back["metadata"]["annotations"][REVISION] == "3"


def test_a_statefulset_numbers_its_pods_and_scales_down_from_the_top(kube: FakeKubeServer) -> None:
    sts = {**deployment(replicas=3), "kind": "StatefulSet", "metadata": {"name": "db"}}
    sts["spec"]["serviceName"] = "db"
    path = "/apis/apps/v1/namespaces/default/statefulsets"
    status = apply(kube, sts, "vessel", path=path)[1]["status"]
    revision = status["updateRevision"]
    assert revision.startswith("db-") and status["currentRevision"] == revision
    assert (
        status.items()
        >= {"replicas": 3, "readyReplicas": 3, "currentReplicas": 3, "updatedReplicas": 3}.items()
    )
    assert status["availableReplicas"] == 3 and status["observedGeneration"] == 1
    pods = kube.pods("default")
    assert [p["metadata"]["name"] for p in pods] == ["db-0", "db-1", "db-2"]
    assert pods[1]["metadata"]["labels"] == {
        "app": "web",
        "controller-revision-hash": revision,
        "statefulset.kubernetes.io/pod-name": "db-1",
        "apps.kubernetes.io/pod-index": "1",
    }
    assert pods[1]["spec"]["hostname"] == "db-1" and pods[1]["spec"]["subdomain"] == "db"
    assert owner_of(pods[0]) == ("StatefulSet", "db")
    sts["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    updated = apply(kube, sts, "vessel", path=path)[1]["status"]
    assert updated["updateRevision"] != revision and updated["updatedReplicas"] == 3
    (db0,) = kube.pods("default", "statefulset.kubernetes.io/pod-name=db-0")
    assert db0["metadata"]["uid"] != pods[0]["metadata"]["uid"]  # replaced under the same name
    assert db0["metadata"]["labels"]["controller-revision-hash"] == updated["updateRevision"]
    sts["spec"]["replicas"] = 1
    assert apply(kube, sts, "vessel", path=path)[1]["status"]["replicas"] == 1
    assert [p["metadata"]["name"] for p in kube.pods("default")] == ["db-0"]


def test_daemonsets_jobs_and_bare_replicasets_run_their_pods(kube: FakeKubeServer) -> None:
    ds = {**deployment(), "kind": "DaemonSet", "metadata": {"name": "agent"}}
    del ds["spec"]["replicas"]
    status = apply(kube, ds, "vessel", path="/apis/apps/v1/namespaces/default/daemonsets")[1]["status"]
    assert status == {
        "currentNumberScheduled": 1,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 1,
        "numberReady": 1,
        "observedGeneration": 1,
        "updatedNumberScheduled": 1,
        "numberAvailable": 1,
    }
    (pod,) = kube.pods("default")
    assert owner_of(pod) == ("DaemonSet", "agent") and pod["spec"]["nodeName"] == "fake-node"
    assert {"controller-revision-hash", "pod-template-generation"} <= set(pod["metadata"]["labels"])

    template = {"spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": "migrate"}]}}
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"}}
    job["spec"] = {"completions": 2, "template": template}
    code, done = call(kube, "POST", "/apis/batch/v1/namespaces/default/jobs", job)
    assert code == 201 and done["status"]["succeeded"] == 2 and "active" not in done["status"]
    assert done["status"]["startTime"] and done["status"]["completionTime"]
    ((kind, status_),) = [(c["type"], c["status"]) for c in done["status"]["conditions"]]
    assert (kind, status_) == ("Complete", "True")
    uid = done["metadata"]["uid"]
    assert done["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    job_pods = kube.pods("default", f"batch.kubernetes.io/controller-uid={uid}")
    assert len(job_pods) == 2 and {p["status"]["phase"] for p in job_pods} == {"Succeeded"}
    assert job_pods[0]["metadata"]["labels"]["job-name"] == "migrate"
    assert "terminated" in job_pods[0]["status"]["containerStatuses"][0]["state"]

    rs = {**deployment(replicas=2), "kind": "ReplicaSet", "metadata": {"name": "bare"}}
    status = apply(kube, rs, "vessel", path="/apis/apps/v1/namespaces/default/replicasets")[1]["status"]
    assert status.items() >= {"replicas": 2, "readyReplicas": 2, "observedGeneration": 1}.items()
    assert sum(owner_of(p) == ("ReplicaSet", "bare") for p in kube.pods("default")) == 2


def test_a_pod_status_written_by_a_test_reaches_its_workloads(kube: FakeKubeServer) -> None:
    apply(kube, deployment(replicas=2), "vessel")
    name = kube.pods("default")[0]["metadata"]["name"]
    crashing = {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
        "containerStatuses": [
            {
                "name": "web",
                "image": "nginx:1.27",
                "imageID": "",
                "ready": False,
                "started": False,
                "restartCount": 3,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
            }
        ],
    }
    kube.set_status("pods", "default", name, crashing)
    (rs,) = call(kube, "GET", "/apis/apps/v1/namespaces/default/replicasets")[1]["items"]
    assert rs["status"]["readyReplicas"] == 1 and rs["status"]["replicas"] == 2
    web = kube.get("deployments", "default", "web")
    assert (
        web["status"].items()
        >= {"readyReplicas": 1, "availableReplicas": 1, "unavailableReplicas": 1}.items()
    )
    conditions = {c["type"]: c for c in web["status"]["conditions"]}
    assert (
        conditions["Available"].items() >= {"status": "False", "reason": "MinimumReplicasUnavailable"}.items()
    )
    assert conditions["Progressing"]["reason"] == "ReplicaSetUpdated"
    again = apply(kube, deployment(replicas=2), "vessel")[1]  # a re-apply leaves the crashing pod be
    assert again["status"]["readyReplicas"] == 1 and kube.get("pods", "default", name)["status"] == crashing


def test_a_deleted_pod_is_replaced_and_a_deleted_owner_takes_its_dependents(kube: FakeKubeServer) -> None:
    apply(kube, deployment(replicas=2), "vessel")
    before = {p["metadata"]["name"] for p in kube.pods("default")}
    gone = sorted(before)[0]
    assert call(kube, "DELETE", f"/api/v1/namespaces/default/pods/{gone}")[0] == 200
    after = {p["metadata"]["name"] for p in kube.pods("default")}
    assert (
        len(after) == 2
        and gone not in after
        and kube.get("deployments", "default", "web")["status"]["readyReplicas"] == 2
    )
    assert call(kube, "DELETE", f"{DEPLOY}/web")[0] == 200
    assert kube.pods(None) == [] and call(kube, "GET", "/apis/apps/v1/replicasets")[1]["items"] == []

    kube.controller = False  # garbage collection does not depend on the workload controllers
    cms = "/api/v1/namespaces/default/configmaps"

    def configmap(name: str, owner: dict[str, Any] | None = None) -> dict[str, Any]:
        md: dict[str, Any] = {"name": name}
        if owner:
            ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"]}
            md["ownerReferences"] = [{**ref, "uid": owner["metadata"]["uid"]}]
        return call(kube, "POST", cms, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": md})[1]

    root = configmap("root")
    configmap("grandchild", configmap("child", root))
    configmap("other")
    assert call(kube, "DELETE", f"{cms}/root")[0] == 200
    assert [c["metadata"]["name"] for c in call(kube, "GET", cms)[1]["items"]] == ["other"]


def test_with_the_controller_off_nothing_runs(kube: FakeKubeServer) -> None:
    kube.controller = False
    assert "status" not in apply(kube, deployment(), "vessel")[1]
    assert kube.pods("default") == [] and call(kube, "GET", "/apis/apps/v1/replicasets")[1]["items"] == []
    kube.set_status("deployments", "default", "web", {"readyReplicas": 1})
    assert apply(kube, deployment(team="a"), "vessel")[1]["status"] == {"readyReplicas": 1}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
    pod["spec"] = {"containers": [{"name": "c", "image": "busybox"}]}
    assert "status" not in call(kube, "POST", "/api/v1/namespaces/default/pods", pod)[1]


def test_pod_logs_honour_since_seconds_and_timestamps_as_the_kubelet_does(kube: FakeKubeServer) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
    pod["spec"] = {"containers": [{"name": "a", "image": "busybox"}]}
    call(kube, "POST", "/api/v1/namespaces/default/pods", pod)
    now = time.time()
    kube.write_log("default", "p", "a", "old", at=now - 600)
    kube.write_log("default", "p", "a", "recent", at=now - 30)
    kube.write_log("default", "p", "a", "new", at=1_700_000_000.5)
    logs = "/api/v1/namespaces/default/pods/p/log"
    assert read(kube, f"{logs}?sinceSeconds=60")[2] == "recent\n"  # `new` was written in 2023
    assert read(kube, f"{logs}?sinceSeconds=3600&tailLines=1")[2] == ""  # tail first, then since
    stamped = read(kube, f"{logs}?timestamps=true&tailLines=1")[2]
    assert stamped == "2023-11-14T22:13:20.5Z new\n"  # RFC3339Nano: trailing zeros dropped
    for bad in ("sinceSeconds=0", "sinceSeconds=x", "tailLines=-1"):
        code, _, body = read(kube, f"{logs}?{bad}")
        assert code == 400 and bad.split("=")[0] in json.loads(body)["message"]


def test_pod_logs_are_plain_text_lines_of_a_named_container(kube: FakeKubeServer, client: Client) -> None:
    resources = {r["name"]: r for r in call(kube, "GET", "/api/v1")[1]["resources"]}
    assert resources["pods"]["shortNames"] == ["po"] and resources["pods/log"]["verbs"] == ["get"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
    pod["spec"] = {
        "initContainers": [{"name": "init", "image": "busybox"}],
        "containers": [{"name": "a", "image": "busybox"}, {"name": "b", "image": "busybox"}],
    }
    created = call(kube, "POST", "/api/v1/namespaces/default/pods", pod)[1]
    assert created["status"]["phase"] == "Running" and created["spec"]["nodeName"] == "fake-node"
    kube.write_log("default", "p", "a", "one", "two")
    kube.write_log("default", "p", "a", "three")
    logs = "/api/v1/namespaces/default/pods/p/log"
    assert read(kube, f"{logs}?container=a") == (200, "text/plain", "one\ntwo\nthree\n")
    assert read(kube, f"{logs}?container=a&tailLines=2")[2] == "two\nthree\n"
    assert read(kube, f"{logs}?container=b") == (200, "text/plain", "")
    assert read(kube, f"{logs}?container=init")[0] == 200
    assert list(client.log("p", namespace="default", container="a", tail_lines=1)) == ["three\n"]

    code, ctype, body = read(kube, logs)
    assert (code, ctype) == (400, "application/json")
    assert json.loads(body)["message"] == (
        "a container name must be specified for pod p, choose one of: [a b]"
        " or one of the init containers: [init]"
    )
    code, _, body = read(kube, f"{logs}?container=nope")
    assert code == 400 and json.loads(body)["message"] == "container nope is not valid for pod p"
    assert read(kube, "/api/v1/namespaces/default/pods/nope/log")[0] == 404
    assert read(kube, f"{logs}?container=a&tailLines=x")[0] == 400
    assert call(kube, "DELETE", f"{logs}")[0] == 405
    with pytest.raises(KubeError, match="not valid"):
        kube.write_log("default", "p", "nope", "x")

    kube.set_status(
        "pods",
        "default",
        "p",
        {
            "containerStatuses": [
                {"name": "a", "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}
            ]
        },
    )
    code, _, body = read(kube, f"{logs}?container=a")
    assert (
        code == 400
        and json.loads(body)["message"] == 'container "a" in pod "p" is waiting to start: ContainerCreating'
    )
    call(kube, "DELETE", "/api/v1/namespaces/default/pods/p")
    call(kube, "POST", "/api/v1/namespaces/default/pods", pod)
    assert read(kube, f"{logs}?container=a")[2] == ""  # a pod's log goes with it


def test_a_followed_log_streams_new_lines_until_its_pod_is_deleted(kube: FakeKubeServer) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
    pod["spec"] = {"containers": [{"name": "a", "image": "busybox"}]}
    call(kube, "POST", "/api/v1/namespaces/default/pods", pod)
    kube.write_log("default", "p", "a", "one", "two")
    connection = http.client.HTTPConnection(kube.url.removeprefix("http://"), timeout=5)
    connection.request("GET", "/api/v1/namespaces/default/pods/p/log?follow=true&tailLines=1")
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Transfer-Encoding") == "chunked"
    assert response.getheader("Content-Length") is None
    assert response.readline() == b"two\n"  # the tail, then what is written while the answer is open
    assert kube.following == 1
    kube.write_log("default", "p", "a", "three")
    assert response.readline() == b"three\n"
    kube.write_log("default", "p", "a", "four", "five")
    assert response.readline() + response.readline() == b"four\nfive\n"

    call(kube, "DELETE", "/api/v1/namespaces/default/pods/p")
    assert response.read() == b""  # the pod is gone: the last chunk ends the answer
    assert kube.following == 0
    connection.request("GET", "/api/v1/namespaces/default/pods/p/log")  # the connection is still usable
    assert connection.getresponse().status == 404
    connection.close()

    call(kube, "POST", "/api/v1/namespaces/default/pods", pod)
    assert read(kube, "/api/v1/namespaces/default/pods/p/log?follow=true&container=nope")[0] == 400
    with urllib.request.urlopen(kube.url + "/api/v1/namespaces/default/pods/p/log?follow=1", timeout=5) as r:
        kube.stop()  # a stopping server ends its followed logs too
        assert r.read() == b""


def test_a_client_that_hangs_up_ends_its_followed_log(kube: FakeKubeServer) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
    pod["spec"] = {"containers": [{"name": "a", "image": "busybox"}]}
    call(kube, "POST", "/api/v1/namespaces/default/pods", pod)

    def following(count: int) -> bool:
        deadline = time.monotonic() + 3
        while kube.following != count and time.monotonic() < deadline:
            time.sleep(0.02)
        return kube.following == count

    with urllib.request.urlopen(kube.url + "/api/v1/namespaces/default/pods/p/log?follow=true", timeout=5):
        assert following(1)
    assert following(0)  # the server noticed the client had gone, and stopped streaming


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_lists_pods_and_reads_a_deployments_logs(kube: FakeKubeServer, tmp_path: Path) -> None:
    config = str(kube.kubeconfig(tmp_path / "kubeconfig"))
    apply(kube, deployment(replicas=1), "vessel")
    (pod,) = kube.pods("default")
    kube.write_log("default", pod["metadata"]["name"], "web", "listening on :80", "GET / 200")

    def kubectl(*args: str) -> str:
        run = subprocess.run(
            ["kubectl", "--kubeconfig", config, *args], capture_output=True, text=True, timeout=20
        )
        assert run.returncode == 0, run.stderr
        return run.stdout

    phases = kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].status.phase}")
    assert phases == "Running" and pod["metadata"]["name"] in kubectl("get", "po")
    assert kubectl("logs", "deploy/web", "--tail=1") == "GET / 200\n"

    follow = subprocess.Popen(
        ["kubectl", "--kubeconfig", config, "logs", "-f", "deploy/web", "--tail=1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert follow.stdout is not None and follow.stdout.readline() == "GET / 200\n"
        kube.write_log("default", pod["metadata"]["name"], "web", "GET /later 200")
        assert follow.stdout.readline() == "GET /later 200\n"  # streamed to kubectl as it is written
        call(kube, "DELETE", f"{DEPLOY}/web")  # its pod goes with it, and the stream ends
        assert follow.wait(timeout=10) == 0
    finally:
        follow.kill()
        follow.wait()
