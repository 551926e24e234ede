"""KubeVela's deprecated `ingress` and `ingress-1-20` traits judge their component healthy once the Service
they made has a cluster IP (their healthPolicy), and say where the component is reached once the Ingress
has a load balancer address (their customStatus)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vessel.controller.status import status_of
from vessel.store import Phase
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: "shop/web:1", ports: [{port: 80}]}
      traits: [{type: TRAIT, properties: {domain: web.example.com, http: {"/": 80}}}]
"""


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def trait_status(h: Harness, record: Any) -> dict[str, Any]:
    (service,) = status_of(h.controller, record)["services"]
    return dict(service["traits"][0])


@pytest.mark.parametrize("trait", ["ingress", "ingress-1-20"])
@pytest.mark.parametrize("exposed", [False, True])  # True: the trait's Service merges into webservice's
def test_healthy_once_the_service_has_a_cluster_ip(h: Harness, trait: str, exposed: bool) -> None:
    text = APP.replace("TRAIT", trait)
    record = h.up(text.replace("[{port: 80}]", "[{port: 80, expose: true}]") if exposed else text)
    assert record.phase == Phase.RUNNING
    status = trait_status(h, record)
    assert status["healthy"] is True
    assert status["message"].startswith("No load balancer address yet")


def test_healthy_on_a_kubernetes_api_server_which_allocates_the_ip(tmp_path: Path) -> None:
    with FakeKubeServer() as kube:
        h = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
        h.add_target("k8s", "kubernetes", {"kubeconfig": str(kube.kubeconfig(tmp_path / "kubeconfig"))})
        to_k8s = "  policies:\n    - {name: there, type: topology, properties: {clusters: [k8s]}}\n"
        record = h.up(APP.replace("TRAIT", "ingress-1-20") + to_k8s)
        assert record.phase == Phase.RUNNING
        assert trait_status(h, record)["healthy"] is True
        h.store.close()
