"""On Kubernetes, a component bound with `uses` is healthy only once the binding's Job (which creates the
role and database, or the Redis user) has succeeded: until then its step waits and says for which Job;
a Job that failed for good (its `Failed` condition) fails the step with the Job's reason and message
instead of waiting for the timeout. The fake API server runs no pods, so the Job's status is set here as
Kubernetes' Job controller would set it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bound_shop import kube_harness
from vessel.store import Phase
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer
from vessel.workflow import backoff

pytestmark = pytest.mark.timeout(120)
JOB = "bind-postgresql-shop-shop-web"
APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: shop
  namespace: shop
  annotations: {app.oam.dev/disable-health-check: "true"}  # the Deployment is healthy: the Job decides
spec:
  components:
    - name: web
      type: webservice
      properties: {image: "shop:1"}
      traits:
        - type: uses
          properties: {addon: postgresql}
  policies:
    - {name: there, type: topology, properties: {clusters: [k8s]}}
"""


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[tuple[Harness, FakeKubeServer]]:
    with kube_harness(tmp_path) as (harness, server):
        server.controller = False  # no Job controller: the Job's status is what the test sets
        yield harness, server


def message(h: Harness, app_id: int) -> str:
    run = h.store.latest_run(app_id)
    assert run is not None
    return h.store.steps(run.id)["deploy-there"].message


def test_the_step_waits_for_the_binding_job_and_goes_on_once_it_succeeded(
    kube: tuple[Harness, FakeKubeServer],
) -> None:
    h, server = kube
    app = h.up(APP, timeout=60)
    assert app.phase == Phase.RUNNING_WORKFLOW  # still waiting after a minute
    assert f"trait uses: waiting for Job vessel-system/{JOB} to create the postgresql binding" in message(
        h, app.id
    )
    server.set_status("jobs", "vessel-system", JOB, {"active": 1})
    assert h.controller.drive(app, timeout=30).phase == Phase.RUNNING_WORKFLOW
    server.set_status("jobs", "vessel-system", JOB, {"succeeded": 1})
    assert h.controller.drive(app, timeout=30).phase == Phase.RUNNING


def test_a_failed_binding_job_fails_the_step_with_its_message(kube: tuple[Harness, FakeKubeServer]) -> None:
    h, server = kube
    app = h.up(APP, timeout=10)
    failed = {
        "failed": 4,
        "conditions": [
            {
                "type": "Failed",
                "status": "True",
                "reason": "BackoffLimitExceeded",
                "message": "Job has reached the specified backoff limit",
            }
        ],
    }
    server.set_status("jobs", "vessel-system", JOB, failed)
    app = h.controller.drive(app, timeout=600)
    assert app.phase == Phase.FAILED
    said = message(h, app.id)
    assert said.startswith(f"gave up after {backoff.FAILING_WORKLOAD_ERRORS} attempts")
    assert (
        f"component web on target k8s is failing: Job vessel-system/{JOB} failed: BackoffLimitExceeded: "
        "Job has reached the specified backoff limit"
    ) in said
