"""The `kubernetes` target against a fake API server over real HTTP: server-side apply of any kind the
server discovers (CRDs included), namespaces created on demand, transient vs terminal errors, and one
delivery through the engine."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from vessel.errors import TargetRejectedError, TargetUnavailableError, ValidationError
from vessel.model.resource_key import ResourceKey
from vessel.store import Phase
from vessel.targets import factory
from vessel.targets.kubernetes import KubernetesTarget
from vessel.targets.protocol import TargetInfo
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer

WEB = ResourceKey("apps/v1", "Deployment", "default", "web")


@pytest.fixture
def kube() -> Iterator[FakeKubeServer]:
    with FakeKubeServer() as server:
        yield server


@pytest.fixture
def kubeconfig(kube: FakeKubeServer, tmp_path: Path) -> Path:
    return kube.kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def target(kubeconfig: Path) -> Iterator[KubernetesTarget]:
    t = KubernetesTarget(TargetInfo("k8s", "kubernetes", {}, {"kubeconfig": str(kubeconfig)}))
    yield t
    t.close()


def deployment(replicas: int = 2, namespace: str = "default", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace, "labels": {"app": "web", **labels}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


def test_apply_creates_then_is_unchanged_then_changes(kube: FakeKubeServer, target: KubernetesTarget) -> None:
    created = target.apply(deployment())
    assert created.changed and created.live["metadata"]["uid"]
    assert created.live["kind"] == "Deployment" and created.live["apiVersion"] == "apps/v1"
    again = target.apply(deployment())
    assert not again.changed
    assert again.live["metadata"]["generation"] == created.live["metadata"]["generation"] == 1
    changed = target.apply(deployment(replicas=3))
    assert changed.changed and changed.live["spec"]["replicas"] == 3
    entries = kube.get("deployments", "default", "web")["metadata"]["managedFields"]
    assert {e["manager"] for e in entries if e.get("subresource") != "status"} == {"vessel"}
    assert {e["manager"] for e in entries if e.get("subresource") == "status"} == {"kube-controller-manager"}
    assert any(m == "PATCH" and "force=true" in p for m, p in kube.requests)


def test_get_returns_status_and_delete_removes(target: KubernetesTarget) -> None:
    assert target.get(WEB) is None
    target.apply(deployment())
    live = target.get(WEB)
    assert live is not None and live["status"]["readyReplicas"] == 2
    assert live["status"]["observedGeneration"] == live["metadata"]["generation"]
    assert target.delete(WEB) is True
    assert target.get(WEB) is None
    assert target.delete(WEB) is False


def test_list_owned_selects_the_application_labels(target: KubernetesTarget) -> None:
    owned = {"app.oam.dev/name": "shop", "app.oam.dev/namespace": "default"}
    target.apply(deployment(**owned))
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other", "namespace": "default"}}
    target.apply(cm)
    listed = target.list_owned("shop", "default")
    assert [(o["kind"], o["metadata"]["name"]) for o in listed] == [("Deployment", "web")]
    assert target.list_owned("shop", "elsewhere") == []
    assert list(target.logs(WEB)) == []


def test_a_crd_then_its_custom_resource_through_discovery(
    kube: FakeKubeServer, target: KubernetesTarget
) -> None:
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "namespace": "default"},
        "spec": {"size": 1},
    }
    key = ResourceKey.of(widget)
    assert target.get(key) is None  # not served yet: cached as such
    with pytest.raises(TargetUnavailableError, match="does not serve kind 'Widget'"):
        target.apply(widget)
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
    applied = target.apply(crd)
    assert applied.changed and "namespace" not in applied.live["metadata"]
    assert target.apply(widget).changed  # the miss refreshed discovery
    kube.set_status("widgets", "default", "w1", {"phase": "Ready"})
    live = target.get(key)
    assert live is not None and live["status"] == {"phase": "Ready"} and live["spec"] == {"size": 1}
    labelled = {**widget, "metadata": {**widget["metadata"], "labels": {"app.oam.dev/name": "a"}}}
    labelled["metadata"]["labels"]["app.oam.dev/namespace"] = "default"
    target.apply(labelled)
    assert [o["kind"] for o in target.list_owned("a", "default")] == ["Widget"]  # applied kinds are listed
    assert target.delete(key) and target.get(key) is None


def test_missing_namespaces_are_created_unless_disabled(kube: FakeKubeServer, kubeconfig: Path) -> None:
    target = KubernetesTarget(TargetInfo("k8s", "kubernetes", {}, {"kubeconfig": str(kubeconfig)}))
    assert target.apply(deployment(namespace="shop")).changed
    assert kube.get("namespaces", None, "shop")["status"] == {"phase": "Active"}
    assert kube.get("deployments", "shop", "web")["spec"]["replicas"] == 2
    off = KubernetesTarget(
        TargetInfo("k8s", "kubernetes", {}, {"kubeconfig": str(kubeconfig), "createNamespaces": False})
    )
    with pytest.raises(TargetRejectedError, match='namespaces "other" not found'):
        off.apply(deployment(namespace="other"))
    target.close()
    off.close()


def test_objects_without_a_namespace_use_the_configured_one(kube: FakeKubeServer, kubeconfig: Path) -> None:
    config = {"kubeconfig": str(kubeconfig), "namespace": "team"}
    target = KubernetesTarget(TargetInfo("k8s", "kubernetes", {}, config))
    manifest = deployment()
    del manifest["metadata"]["namespace"]
    assert target.apply(manifest).live["metadata"]["namespace"] == "team"
    assert target.get(ResourceKey("apps/v1", "Deployment", "", "web")) is not None
    target.close()


def test_cluster_scoped_objects_get_no_namespace(kube: FakeKubeServer, target: KubernetesTarget) -> None:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "reader", "namespace": "default"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    }
    live = target.apply(role).live
    assert "namespace" not in live["metadata"]
    assert kube.get("clusterroles", None, "reader")["rules"][0]["verbs"] == ["get"]
    assert target.get(ResourceKey("rbac.authorization.k8s.io/v1", "ClusterRole", "", "reader")) is not None
    assert not any("/namespaces/" in p for _, p in kube.requests if "clusterroles" in p)


@pytest.mark.parametrize("code", [503, 500, 409, 429])
def test_server_errors_conflicts_and_throttling_are_transient(
    kube: FakeKubeServer, target: KubernetesTarget, code: int
) -> None:
    target.apply(deployment())  # discovery cached
    kube.fail_next(1, code)
    with pytest.raises(TargetUnavailableError) as err:
        target.apply(deployment(replicas=4))
    assert "'k8s'" in str(err.value) and "Deployment.apps/v1 default/web" in str(err.value)
    assert str(code) in str(err.value) and "fake-token" not in str(err.value)
    assert target.apply(deployment(replicas=4)).changed  # and it works again


def test_an_unreachable_server_is_transient_and_status_says_so(
    kube: FakeKubeServer, target: KubernetesTarget, tmp_path: Path
) -> None:
    status = target.status()
    assert status.reachable and status.version == "v1.31.0" and target.live_state
    kube.unreachable = True
    with pytest.raises(TargetUnavailableError, match="unreachable"):
        target.get(WEB)
    assert not target.status().reachable
    kube.unreachable = False
    kube.fail_next(1, 503)
    assert not target.status().reachable

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "closed"
    config.write_text(
        kube.kubeconfig(tmp_path / "k").read_text().replace(kube.url, f"http://127.0.0.1:{port}")
    )
    closed = KubernetesTarget(TargetInfo("gone", "kubernetes", {}, {"kubeconfig": str(config)}))
    with pytest.raises(TargetUnavailableError, match="'gone'.*unreachable") as err:
        closed.apply(deployment())
    assert "fake-token" not in str(err.value)
    assert not closed.status().reachable
    closed.close()


def test_invalid_objects_are_rejected_naming_the_field(target: KubernetesTarget) -> None:
    target.apply(deployment())
    with pytest.raises(TargetRejectedError) as err:
        target.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {}})
    assert err.value.location.path == "metadata.name"
    conflict = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "bad.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "things"},
            "versions": [],
        },
    }
    with pytest.raises(TargetRejectedError, match="spec.names.kind") as err:
        target.apply(conflict)
    assert "CustomResourceDefinition.apiextensions.k8s.io/v1 bad.example.com" in str(err.value)


def test_a_kind_in_the_wrong_case_is_rejected_naming_the_served_one(target: KubernetesTarget) -> None:
    with pytest.raises(TargetRejectedError) as err:  # not "not served (yet)", retried for minutes
        target.apply({**deployment(), "kind": "deployment"})
    assert "serves kind 'Deployment', not 'deployment'" in str(err.value)
    assert err.value.location.path == "kind"


def test_a_422_status_with_causes_names_the_field(kube: FakeKubeServer, target: KubernetesTarget) -> None:
    target.apply(deployment())
    # The fake validates required fields only; a server-side 422 with causes, as a real API server sends:
    original = kube.handle

    def invalid(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if method == "PATCH":
            from vessel.testing.fake_kube import KubeError

            cause = {"reason": "FieldValueInvalid", "field": "spec.replicas", "message": "must be >= 0"}
            details = {"name": "web", "group": "apps", "kind": "Deployment", "causes": [cause]}
            raise KubeError(422, "Invalid", 'Deployment.apps "web" is invalid: spec.replicas', details)
        return original(method, path, headers, body)

    kube.handle = invalid  # type: ignore[method-assign]
    with pytest.raises(TargetRejectedError) as err:
        target.apply(deployment(replicas=-1))
    assert err.value.location.path == "spec.replicas"
    assert "Deployment.apps/v1 default/web" in str(err.value) and "spec.replicas" in str(err.value)


def test_bad_config_is_reported_without_secrets(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="createNamespaces"):
        KubernetesTarget(TargetInfo("k8s", "kubernetes", {}, {"createNamespaces": "yes"}))
    missing = KubernetesTarget(TargetInfo("k8s", "kubernetes", {}, {"kubeconfig": str(tmp_path / "none")}))
    assert not missing.status().reachable
    with pytest.raises(TargetUnavailableError, match="cannot use"):
        missing.get(WEB)
    broken = tmp_path / "broken"
    broken.write_text("users: [{name: u, user: {token: s3cret}}]\n  bad: [")
    target = KubernetesTarget(TargetInfo("k8s", "kubernetes", {}, {"kubeconfig": str(broken)}))
    with pytest.raises(TargetUnavailableError) as err:
        target.get(WEB)
    assert "s3cret" not in str(err.value)


APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:1", ports: [{port: 80, expose: true}]}
      traits:  # the fake API server does not default spec.replicas as a real one does
        - {type: scaler, properties: {replicas: 2}}
  policies:
    - {name: there, type: topology, properties: {clusters: [k8s]}}
"""


def test_an_application_is_delivered_to_the_cluster_through_the_engine(
    kube: FakeKubeServer, kubeconfig: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
    try:
        builders = factory._builders

        def with_kubernetes() -> dict[str, Any]:
            return {**builders(), "kubernetes": KubernetesTarget}

        monkeypatch.setattr(factory, "_builders", with_kubernetes)
        h.store.add_target(
            TargetInfo("k8s", "kubernetes", {}, {"kubeconfig": str(kubeconfig)}),
            default=False,
            now=h.clock.now(),
        )
        h.controller.targets.refresh()  # type: ignore[attr-defined]
        app = h.up(APP)
        run = h.store.latest_run(app.id)
        assert run is not None
        assert app.phase == Phase.RUNNING, [(s.message, s.attempts) for s in h.store.steps(run.id).values()]
        live = kube.get("deployments", "default", "api")
        assert live["status"]["readyReplicas"] == 2
        assert live["metadata"]["labels"]["app.oam.dev/name"] == "shop"
        assert kube.get("services", "default", "api")["spec"]["ports"][0]["port"] == 80
        assert h.targets["mem"].objects == {}
    finally:
        h.store.close()


def test_reapplying_what_still_holds_writes_nothing(
    kube: FakeKubeServer, target: KubernetesTarget, kubeconfig: Path
) -> None:
    def patches() -> int:
        return sum(1 for m, p in kube.requests if m == "PATCH" and "/deployments/web" in p)

    target.apply(deployment())
    assert patches() == 1
    again = target.apply(deployment(), applied=True)  # the caller's inventory says it was applied
    assert patches() == 1 and not again.changed and again.live["status"]["readyReplicas"] == 2

    kube.cluster.objects[("apps", "deployments", "default", "web")]["spec"]["replicas"] = 7  # drift
    assert target.apply(deployment(), applied=True).changed and patches() == 2
    assert target.apply(deployment(replicas=3)).changed and patches() == 3  # a new manifest is sent

    # What was applied is known from the caller (the store), not from this process's memory: a fresh
    # process trusts it, and sends a manifest nobody says was applied (fields it dropped must go).
    fresh = KubernetesTarget(TargetInfo("k8s", "kubernetes", {}, {"kubeconfig": str(kubeconfig)}))
    try:
        assert not fresh.apply(deployment(replicas=3), applied=True).changed and patches() == 3
        fresh.apply(deployment(replicas=3))
        assert patches() == 4
    finally:
        fresh.close()


def test_a_cluster_that_does_not_answer_costs_one_timeout_per_pause(tmp_path: Path) -> None:
    """A silent API server (accepts, reads, never answers) must not cost a timeout per object: after
    one, calls fail at once naming the pause, until it ends."""
    asked: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)
            data = conn.recv(65536)
            if data:
                asked.append(data)

    threading.Thread(target=accept, daemon=True).start()
    port = server.getsockname()[1]
    config = tmp_path / "silent"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                "users": [{"name": "u", "user": {"token": "t0ken"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "c",
            }
        )
    )
    target = KubernetesTarget(
        TargetInfo("silent", "kubernetes", {}, {"kubeconfig": str(config), "timeout": 0.3})
    )
    try:
        with pytest.raises(TargetUnavailableError, match="'silent'.*unreachable"):
            target.get(WEB)
        assert len(asked) == 1
        for _ in range(5):
            with pytest.raises(TargetUnavailableError, match="did not answer within 0.3s; not asked again"):
                target.apply(deployment())
        assert len(asked) == 1, "no request while the pause lasts"
        time.sleep(0.35)
        with pytest.raises(TargetUnavailableError):
            target.get(WEB)
        assert len(asked) == 2, "asked again once the pause is over"
        with pytest.raises(TargetUnavailableError, match=r"of a 0.6s pause"):
            target.get(WEB)  # and the next pause is twice as long
    finally:
        target.close()
        server.close()
        for conn in held:
            conn.close()
