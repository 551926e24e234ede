"""Several Kubernetes clusters (fake API servers over real HTTP) behind one engine: topology picks them by
name or label, override patches per cluster, a deploy step reaches them in parallel, and one cluster that
cannot be reached neither stops the others nor is given up on at once: the step says which and why, and
retries with backoff until it is back. Templates render for each cluster's own version."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vessel.controller.status import status_of
from vessel.store import Phase
from vessel.store.records import StepPhase
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer
from vessel.testing.fake_kube.kinds import ResourceType

CLUSTERS = {"eu-1": {"region": "eu"}, "eu-2": {"region": "eu"}, "us-1": {"region": "us"}}


@pytest.fixture
def kubes() -> Iterator[dict[str, FakeKubeServer]]:
    servers = {name: FakeKubeServer().start() for name in CLUSTERS}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def h(kubes: dict[str, FakeKubeServer], tmp_path: Path, store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    for name, labels in CLUSTERS.items():
        config = {"kubeconfig": str(kubes[name].kubeconfig(tmp_path / f"{name}.kubeconfig"))}
        harness.add_target(name, "kubernetes", config, **labels)
    yield harness
    harness.store.close()


def app(policies: str, workflow: str = "") -> str:
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - name: api
      type: webservice
      properties: {{image: "shop/api:1", ports: [{{port: 80, expose: true}}]}}
  policies:
{policies}
{workflow}"""


def deployment(kube: FakeKubeServer, name: str = "api", namespace: str = "default") -> dict[str, Any] | None:
    try:
        return kube.get("deployments", namespace, name)
    except Exception:
        return None


def test_topology_selects_clusters_by_label(h: Harness, kubes: dict[str, FakeKubeServer]) -> None:
    record = h.up(
        app(
            "    - {name: europe, type: topology, properties: {clusterLabelSelector: {region: eu}}}",
        )
    )
    assert record.phase == Phase.RUNNING, record.message
    assert deployment(kubes["eu-1"]) is not None and deployment(kubes["eu-2"]) is not None
    assert deployment(kubes["us-1"]) is None
    services = status_of(h.controller, record)["services"]
    assert sorted((s["target"], s["healthy"]) for s in services) == [("eu-1", True), ("eu-2", True)]


def test_override_patches_each_cluster_and_deploy_runs_them_in_parallel(
    h: Harness, kubes: dict[str, FakeKubeServer]
) -> None:
    policies = """\
    - {name: europe, type: topology, properties: {clusterLabelSelector: {region: eu}, namespace: shop-eu}}
    - {name: america, type: topology, properties: {clusters: [us-1]}}
    - name: big
      type: override
      properties: {components: [{name: api, traits: [{type: scaler, properties: {replicas: 3}}]}]}
    - name: us-image
      type: override
      properties: {components: [{name: api, properties: {image: "shop/api:1-us"}}]}"""
    workflow = """\
  workflow:
    steps:
      - {name: eu, type: deploy, properties: {policies: [europe, big], parallelism: 2}}
      - {name: us, type: deploy, properties: {policies: [america, us-image]}}"""
    record = h.up(app(policies, workflow))
    assert record.phase == Phase.RUNNING, record.message
    for name in ("eu-1", "eu-2"):
        live = deployment(kubes[name], namespace="shop-eu")
        assert live is not None and live["spec"]["replicas"] == 3
        assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/api:1"
        assert kubes[name].get("namespaces", None, "shop-eu")["status"]["phase"] == "Active"
    us = deployment(kubes["us-1"])
    assert us is not None and us["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/api:1-us"
    assert us["spec"]["replicas"] == 1


def test_an_unreachable_cluster_retries_with_backoff_while_the_others_are_delivered(
    h: Harness, kubes: dict[str, FakeKubeServer]
) -> None:
    kubes["us-1"].unreachable = True
    text = app("    - {name: all, type: topology, properties: {clusters: [eu-1, us-1, eu-2]}}")
    record = h.controller.drive(h.submit(text), timeout=4)

    assert deployment(kubes["eu-1"]) is not None and deployment(kubes["eu-2"]) is not None
    run = h.store.latest_run(record.id)
    assert run is not None
    step = next(iter(h.store.steps(run.id).values()))
    assert step.phase == StepPhase.RUNNING and step.reason == "Retrying"
    assert "'us-1'" in step.message and "unreachable" in step.message
    assert "2 other placements delivered" in step.message and "retrying in" in step.message
    assert step.errors >= 2 and step.next_attempt_at is not None
    gap = step.next_attempt_at - h.clock.now()
    assert gap > 1.0, "the next attempt waits longer after each failure"
    doc = status_of(h.controller, h.store.app_by_id(record.id))
    assert doc["phase"] == Phase.RUNNING_WORKFLOW
    assert "us-1" in doc["workflow"]["steps"][0]["message"]

    kubes["us-1"].unreachable = False
    record = h.controller.drive(record, timeout=120)
    assert record.phase == Phase.RUNNING, record.message
    assert deployment(kubes["us-1"]) is not None


def test_templates_render_for_each_clusters_own_version(tmp_path: Path, store_url: str) -> None:
    """The built-in hpa trait picks autoscaling/v2beta2 below Kubernetes 1.23, autoscaling/v2 from it on."""
    with FakeKubeServer(version="1.22") as old, FakeKubeServer(version="1.30") as new:
        v2beta2 = ResourceType(
            "autoscaling", "v2beta2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", "hpa", True, True
        )
        old.cluster.types[("autoscaling", "v2beta2", "horizontalpodautoscalers")] = v2beta2
        h = Harness.create(store_url)
        try:
            for name, kube in (("old", old), ("new", new)):
                h.add_target(name, "kubernetes", {"kubeconfig": str(kube.kubeconfig(tmp_path / name))})
            text = app("    - {name: both, type: topology, properties: {clusters: [old, new]}}").replace(
                "expose: true}]}", "expose: true}]}\n      traits: [{type: hpa, properties: {max: 5}}]"
            )
            record = h.up(text)
            assert record.phase == Phase.RUNNING, record.message
            hpas = {
                name: kube.get("horizontalpodautoscalers", "default", "api")["apiVersion"]
                for name, kube in (("old", old), ("new", new))
            }
            assert hpas == {"old": "autoscaling/v2beta2", "new": "autoscaling/v2"}
        finally:
            h.store.close()


def test_what_a_new_revision_no_longer_renders_is_pruned_on_every_cluster(
    h: Harness, kubes: dict[str, FakeKubeServer]
) -> None:
    both = "    - {name: europe, type: topology, properties: {clusterLabelSelector: {region: eu}}}"
    text = app(both).replace(
        "  policies:", "    - {name: mailer, type: worker, properties: {image: 'mailer:1'}}\n  policies:"
    )
    record = h.up(text)
    assert record.phase == Phase.RUNNING, record.message
    assert all(deployment(kubes[n], "mailer") is not None for n in ("eu-1", "eu-2"))

    record = h.up(app(both))
    assert record.phase == Phase.RUNNING, record.message
    for name in ("eu-1", "eu-2"):
        assert deployment(kubes[name], "mailer") is None
        assert deployment(kubes[name], "api") is not None
    assert {e.key.name for e in h.store.inventory(record.id)} == {"api"}

    assert h.controller.delete(h.record("shop"))
    assert all(deployment(kubes[n]) is None for n in ("eu-1", "eu-2"))


@pytest.mark.parametrize("parallelism", [1, 3])
def test_deploy_reaches_at_most_parallelism_clusters_at_once(
    h: Harness, kubes: dict[str, FakeKubeServer], parallelism: int
) -> None:
    spans: list[tuple[str, float, float]] = []  # (cluster, start, end) of every apply

    def slow(name: str, handle: Any) -> Any:
        def handler(method: str, target: str, headers: dict[str, str], body: bytes) -> Any:
            if method != "PATCH":
                return handle(method, target, headers, body)
            start = time.monotonic()
            time.sleep(0.05)
            try:
                return handle(method, target, headers, body)
            finally:
                spans.append((name, start, time.monotonic()))

        return handler

    for name, kube in kubes.items():
        kube.handle = slow(name, kube.handle)  # type: ignore[method-assign]
    policy = "    - {name: all, type: topology, properties: {clusters: [eu-1, eu-2, us-1]}}"
    step = f"{{name: d, type: deploy, properties: {{policies: [all], parallelism: {parallelism}}}}}"
    workflow = f"  workflow:\n    steps: [{step}]"
    record = h.up(app(policy, workflow))
    assert record.phase == Phase.RUNNING, record.message

    def busy_at(moment: float) -> int:
        return len({name for name, start, end in spans if start <= moment < end})

    most = max(busy_at(start) for _, start, _ in spans)
    assert len({name for name, _, _ in spans}) == 3
    assert most == parallelism if parallelism == 1 else 1 < most <= parallelism


def test_a_throttled_cluster_is_retried_no_sooner_than_it_asked(
    h: Harness, kubes: dict[str, FakeKubeServer]
) -> None:
    kubes["eu-1"].fail_next(1, 429, retry_after=7)  # API Priority and Fairness: "come back in 7 s"
    text = app("    - {name: one, type: topology, properties: {clusters: [eu-1]}}")
    record = h.controller.reconcile(h.submit(text))
    run = h.store.latest_run(record.id)
    assert run is not None
    step = next(iter(h.store.steps(run.id).values()))
    assert step.reason == "Retrying" and "(429 TooManyRequests)" in step.message
    assert step.next_attempt_at is not None and step.next_attempt_at - h.clock.now() == 7
    assert "retrying in 7s" in step.message  # not the 1 s its first backoff would be

    record = h.controller.drive(record, timeout=60)
    assert record.phase == Phase.RUNNING, record.message
