"""The fake API server finds an object's dependents and a free pod IP from indexes, not by scanning every
object on every write (which made a benchmark of 2,000 applications quadratic) — and the indexes follow
every write: garbage collection deletes what an object owns now (an object adopted later goes with its
owner, one orphaned stays), live pods never share an IP, and a deleted pod's IP is handed out again."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from vessel.testing.fake_kube import FakeKubeServer

CM = "/api/v1/namespaces/default/configmaps"
DEPLOY = "/apis/apps/v1/namespaces/default/deployments"


@pytest.fixture
def kube() -> Iterator[FakeKubeServer]:
    with FakeKubeServer() as server:
        yield server


def call(kube: FakeKubeServer, method: str, path: str, body: Any = None, ctype: str = "") -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {
        "Content-Type": ctype or ("application/merge-patch+json" if method == "PATCH" else "application/json")
    }
    request = urllib.request.Request(kube.url + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=5) as answer:
        result: dict[str, Any] = json.loads(answer.read())
        return result


def configmap(name: str, *owners: dict[str, Any]) -> dict[str, Any]:
    refs = [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": o["metadata"]["name"], "uid": o["metadata"]["uid"]}
        for o in owners
    ]
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "ownerReferences": refs}}


def deployment(name: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "i:1"}]},
            },
        },
    }


def names(kube: FakeKubeServer) -> set[str]:
    return {o["metadata"]["name"] for o in call(kube, "GET", CM)["items"]}


def test_garbage_collection_follows_owner_references_as_they_change(kube: FakeKubeServer) -> None:
    owner = call(kube, "POST", CM, configmap("owner"))
    call(kube, "POST", CM, configmap("born-owned", owner))
    call(kube, "POST", CM, configmap("orphaned", owner))
    call(kube, "POST", CM, configmap("adopted"))
    call(kube, "PATCH", f"{CM}/orphaned", {"metadata": {"ownerReferences": None}})
    call(
        kube,
        "PATCH",
        f"{CM}/adopted",
        {"metadata": {"ownerReferences": configmap("x", owner)["metadata"]["ownerReferences"]}},
    )
    call(kube, "DELETE", f"{CM}/owner")
    assert names(kube) == {"orphaned"}


def test_live_pods_never_share_an_ip_and_freed_ips_are_reused(kube: FakeKubeServer) -> None:
    call(kube, "POST", DEPLOY, deployment("first", 3))
    first = {p["status"]["podIP"] for p in kube.pods("default", "app=first")}
    assert len(first) == 3
    call(kube, "DELETE", f"{DEPLOY}/first")
    assert kube.pods("default") == []
    call(kube, "POST", DEPLOY, deployment("second", 2))
    call(kube, "POST", DEPLOY, deployment("third", 2))
    ips = [p["status"]["podIP"] for p in kube.pods("default")]
    assert len(set(ips)) == 4, ips
    assert first <= set(ips), f"the deleted pods' IPs {first} were not handed out again: {ips}"
