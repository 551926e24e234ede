"""On Kubernetes, a binding with `onDelete: drop` drops its login (and, for the last one, the database or
the keys) before its objects go: deleting the application runs the drop Job (carried by the binding Job's
`hooks.vessel.dev/before-delete` annotation) and deletes nothing of the binding Job until that Job has
succeeded; a drop Job that failed keeps it there, with the Job's message in the application's events.
The fake API server runs no pods, so the drop Job's status is set here as Kubernetes would set it (the
script itself is run against a real PostgreSQL and Redis by tests/test_the_kubernetes_*_against_a_real_*)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bound_shop import kube_harness
from vessel.store import Phase
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer
from vessel.testing.fake_kube.errors import KubeError

pytestmark = pytest.mark.timeout(120)
SYSTEM = "vessel-system"
BINDING, DROP = "bind-postgresql-shop-shop-web", "drop-postgresql-shop-shop-web"
APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop, namespace: shop}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: "shop:1"}
      traits:
        - type: uses
          properties: {addon: postgresql, onDelete: drop}
  policies:
    - {name: there, type: topology, properties: {clusters: [k8s]}}
"""


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[tuple[Harness, FakeKubeServer]]:
    with kube_harness(tmp_path) as (harness, server):
        record = harness.up(APP, timeout=60)  # the fake's Job controller completes the binding Job
        assert record.phase == Phase.RUNNING, record.message
        server.controller = False  # from here on, Jobs' status is what the test sets
        yield harness, server


def exists(server: FakeKubeServer, kind: str, namespace: str, name: str) -> bool:
    try:
        server.get(kind, namespace, name)
    except KubeError:
        return False
    return True


def try_delete(h: Harness) -> bool:
    """One more attempt, once the backoff of the last failed one has passed."""
    h.clock.advance(61)
    return h.controller.delete(h.record("shop", "shop"))


def test_the_binding_job_is_deleted_only_after_the_drop_job_succeeded(
    kube: tuple[Harness, FakeKubeServer],
) -> None:
    h, server = kube
    assert not h.controller.delete(h.record("shop", "shop"))
    drop = server.get("jobs", SYSTEM, DROP)
    env = {e["name"]: e.get("value") for e in drop["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert (env["APP_NAME"], env["APP_LOGIN"]) == ("shop_shop", "shop_shop_web")
    assert "DROP ROLE" in drop["spec"]["template"]["spec"]["containers"][0]["command"][2]
    assert exists(server, "jobs", SYSTEM, BINDING)

    server.set_status("jobs", SYSTEM, DROP, {"active": 1})
    assert not try_delete(h)
    assert exists(server, "jobs", SYSTEM, BINDING)
    events = [e.message for e in h.store.events(h.record("shop", "shop").id)]
    assert any(f"waiting for Job {SYSTEM}/{DROP} to run before it is deleted" in m for m in events)

    server.set_status("jobs", SYSTEM, DROP, {"succeeded": 1})
    assert try_delete(h) or try_delete(h)
    assert not exists(server, "jobs", SYSTEM, BINDING) and not exists(server, "jobs", SYSTEM, DROP)
    assert not exists(server, "secrets", "shop", "postgresql-shop-shop-web")


def test_a_failed_drop_job_keeps_the_binding_and_says_why(kube: tuple[Harness, FakeKubeServer]) -> None:
    h, server = kube
    assert not h.controller.delete(h.record("shop", "shop"))
    failed = {
        "conditions": [
            {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "no luck"}
        ]
    }
    server.set_status("jobs", SYSTEM, DROP, failed)
    for _ in range(3):
        assert not try_delete(h)
    assert exists(server, "jobs", SYSTEM, BINDING)
    entry = next(e for e in h.store.inventory(h.record("shop", "shop").id) if e.key.name == BINDING)
    assert (
        f"Job {SYSTEM}/{DROP}, which must succeed before it is deleted, failed: BackoffLimitExceeded: no luck"
        in (entry.last_error or "")
    )
