"""A component that cannot work makes its deploy step fail, soon, with the real cause; one that is merely
not ready yet is waited for, and the step says what it waits for and why.

The budget is arithmetic (see `workflow.backoff`): a failing component is retried after 1, 2, 4 and 8 s and
the fifth failing pass fails the step, 15 s after the first — checked here on a fake clock. `vessel up`
with a real process that exits at once shows the whole path: exit code 1, and the exit code with the last
stderr line in the step's message."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.controller.controller import Controller
from vessel.model.parse import parse_application
from vessel.model.resource_key import ResourceKey
from vessel.model.yaml_source import read_text
from vessel.store import Phase
from vessel.store.records import StepPhase, StepRecord
from vessel.store.store import Store
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer
from vessel.workflow import backoff

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:1"}
"""
API = ResourceKey("apps/v1", "Deployment", "default", "api")
CRASH_LOOP = "container api: CrashLoopBackOff, last exited with code 3 (Error): fatal: no config"


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
    yield harness
    harness.store.close()


def step(store: Store, app_id: int, name: str) -> StepRecord:
    run = store.latest_run(app_id)
    assert run is not None
    return store.steps(run.id)[name]


def test_a_failing_component_fails_its_step_with_the_cause_after_15s_of_retries(h: Harness) -> None:
    h.targets["mem"].failing[API] = CRASH_LOOP
    started = h.clock.now()
    app = h.up(APP)
    assert app.phase == Phase.FAILED
    record = step(h.store, app.id, "api")
    assert (record.phase, record.reason) == (StepPhase.FAILED, "FailedAfterRetries")
    assert record.errors == backoff.FAILING_WORKLOAD_ERRORS == 5
    assert record.message == (
        f"gave up after 5 attempts: component api on target mem is failing: api-0: {CRASH_LOOP}"
    )
    assert h.clock.now() - started == pytest.approx(1 + 2 + 4 + 8, abs=0.5)


def test_a_component_not_ready_yet_is_waited_for_and_the_wait_says_why(h: Harness) -> None:
    h.targets["mem"].unhealthy.add(API)
    app = h.up(APP, timeout=120)
    assert app.phase == Phase.RUNNING_WORKFLOW  # still waiting after two minutes: not failed
    record = step(h.store, app.id, "api")
    assert (record.phase, record.reason, record.errors) == (StepPhase.RUNNING, "Wait", 0)
    assert record.message == (
        "waiting for component api on target mem to become healthy: Ready:0/1; api-0: Running"
    )
    h.targets["mem"].unhealthy.clear()
    assert h.controller.drive(app, timeout=60).phase == Phase.RUNNING


ON_A_CLUSTER = (
    APP
    + """\
  policies:
    - {name: there, type: topology, properties: {clusters: [k8s], namespace: shop}}
"""
)


def test_a_crash_looping_pod_fails_the_deploy_with_its_reason_and_last_exit(
    h: Harness, tmp_path: Path
) -> None:
    with FakeKubeServer() as kube:
        h.add_target("k8s", "kubernetes", {"kubeconfig": str(kube.kubeconfig(tmp_path / "kubeconfig"))})
        app = h.up(ON_A_CLUSTER)
        assert app.phase == Phase.RUNNING
        (pod,) = kube.pods("shop", "app.oam.dev/component=api")
        crashing = {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [
                {
                    "name": "api",
                    "ready": False,
                    "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                    "lastState": {"terminated": {"exitCode": 3, "reason": "Error"}},
                }
            ],
        }
        kube.set_status("pods", "shop", pod["metadata"]["name"], crashing)
        h.controller.restart(app)
        app = h.controller.drive(h.record("shop"), timeout=600)
        assert app.phase == Phase.FAILED
        assert step(h.store, app.id, "deploy-there").message.endswith(
            "component api on target k8s is failing: "
            f"{pod['metadata']['name']}: container api: CrashLoopBackOff (back-off 40s),"
            " last exited with code 3 (Error), restarted 4 times"
        )


SERVER_THAT_NEVER_GETS_ITS_DATABASE = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: waits}
spec:
  components:
    - name: api
      type: webservice
      properties:
        image: unused
        cmd: [PYTHON, "-c", "import time; time.sleep(120)"]
        readinessProbe:
          exec: {command: [PYTHON, "-c", "print('database not reachable'); raise SystemExit(1)"]}
          periodSeconds: 1
"""


def test_the_wait_names_the_readiness_probe_failure_of_a_real_process(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'vessel.db'}")
    ctl = Controller(store, owner="test")
    text = SERVER_THAT_NEVER_GETS_ITS_DATABASE.replace("PYTHON", json.dumps(sys.executable))
    app = ctl.submit(parse_application(read_text(text, "app.yaml")[0])).app
    try:
        deadline = time.monotonic() + 40
        while "readiness probe" not in (message := step(store, app.id, "api").message):
            assert time.monotonic() < deadline, message
            app = ctl.reconcile(app)
            time.sleep(0.2)
        assert message == (
            "waiting for component api on target local to become healthy: Ready:0/1; api-0: not ready"
            f" (readiness probe): exec {sys.executable!r} exited 1: database not reachable"
        )
        assert step(store, app.id, "api").errors == 0  # waiting, not failing
    finally:
        assert ctl.delete(app)
        store.close()


CRASHES_AT_ONCE = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: crash}
spec:
  components:
    - name: crash
      type: worker
      properties:
        image: unused
        cmd: [PYTHON, "-c", "import sys; print('fatal: no config', file=sys.stderr); sys.exit(3)"]
"""


@pytest.mark.timeout(120)
def test_vessel_up_of_a_component_that_exits_at_once_fails_with_its_exit_code_and_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    path = tmp_path / "app.yaml"
    path.write_text(CRASHES_AT_ONCE.replace("PYTHON", json.dumps(sys.executable)))
    runner = CliRunner()
    try:
        started = time.monotonic()
        result = runner.invoke(cli, ["up", "-f", str(path)])
        took = time.monotonic() - started
        assert result.exit_code == 1, result.output
        assert "crash: workflowFailed" in result.output
        assert (
            "gave up after 5 attempts: component crash on target local is failing: crash-0: exited with"
            " code 3: fatal: no config (restarted" in result.output
        )
        assert took < 60  # 2 s to notice, 15 s of retries: not minutes
        store = Store.open()
        try:
            found = store.app("default", "crash")
            assert found is not None
            restarts = [e.message for e in store.events(found.id) if e.reason == "Restarted"]
        finally:
            store.close()
        assert restarts  # each restart while the step retried is an event
        assert restarts[0].startswith(
            "crash on local: restarted replica crash-0 (exited with code 3: fatal: no config) after a"
        )
    finally:
        runner.invoke(cli, ["delete", "crash"])
