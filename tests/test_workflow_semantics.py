"""Workflow semantics, KubeVela-compatible and durable: order (StepByStep, DAG, sub-steps), skipping after
a failure, `if`, timeouts that survive a controller restart, retries with capped backoff, suspend /
resume / terminate / restart, approval, inputs and outputs, the default workflow. Each test runs on a
SQLite file and on a fresh PostgreSQL database, on memory targets, with a fake clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from vessel.controller.controller import Controller
from vessel.errors import ConflictError, ValidationError
from vessel.model.resource_key import ResourceKey
from vessel.store import Phase, RunPhase
from vessel.store.records import AppRecord, RunRecord, StepPhase, StepRecord
from vessel.testing.engine import Harness
from vessel.workflow import backoff
from vessel.workflow.step_api import Outcome, StepContext

OK, FAILED, SKIPPED = StepPhase.SUCCEEDED, StepPhase.FAILED, StepPhase.SKIPPED
PENDING, SUSPENDING = StepPhase.PENDING, StepPhase.SUSPENDING
API = ResourceKey("apps/v1", "Deployment", "default", "api")
WEB = {"name": "api", "type": "webservice", "properties": {"image": "shop/api:1"}}


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


# --- building applications -------------------------------------------------------------------------


def application(
    steps: list[dict[str, Any]] | None = None,
    *,
    mode: dict[str, str] | None = None,
    components: list[dict[str, Any]] | None = None,
    policies: list[dict[str, Any]] | None = None,
) -> str:
    """An Application as YAML text (JSON is YAML)."""
    spec: dict[str, Any] = {"components": components or [WEB]}
    if policies:
        spec["policies"] = policies
    if steps is not None:
        spec["workflow"] = {"steps": steps, **({"mode": mode} if mode else {})}
    doc = {"apiVersion": "core.oam.dev/v1beta1", "kind": "Application", "metadata": {"name": "wf"}}
    return json.dumps({**doc, "spec": spec})


def say(name: str, **extra: Any) -> dict[str, Any]:
    """A step that only succeeds (and writes its name into its status message)."""
    return {"name": name, "type": "print-message-in-status", "properties": {"message": name}, **extra}


def fail(name: str, **extra: Any) -> dict[str, Any]:
    """A step that fails at once: it applies a component the application does not have."""
    return {"name": name, "type": "apply-component", "properties": {"component": "missing"}, **extra}


def pause(name: str, **properties: Any) -> dict[str, Any]:
    return {"name": name, "type": "suspend", **({"properties": properties} if properties else {})}


def apply(name: str, component: str = "api", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "apply-component", "properties": {"component": component}, **extra}


def group(name: str, *subs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "step-group", "subSteps": list(subs), **extra}


# --- observing runs --------------------------------------------------------------------------------


def steps(h: Harness) -> dict[str, StepRecord]:
    return h.store.steps(run_of(h).id)


def phases(h: Harness) -> dict[str, str]:
    return {name: r.phase for name, r in steps(h).items()}


def run_of(h: Harness) -> RunRecord:
    run = h.store.latest_run(h.record("wf").id)
    assert run is not None
    return run


def spy(h: Harness) -> list[str]:
    """Record the names of the `print-message-in-status` steps, in the order they are executed."""
    calls: list[str] = []
    functions = dict(h.controller.engine.step_functions)
    original = functions["print-message-in-status"]

    def recording(ctx: StepContext) -> Outcome:
        calls.append(ctx.step.name)
        return original(ctx)

    functions["print-message-in-status"] = recording
    h.controller.engine.step_functions = functions
    return calls


def run_for(h: Harness, seconds: float, controller: Controller | None = None) -> AppRecord:
    """Reconcile as the controller loop would for `seconds`, jumping the clock to each due time."""
    ctl = controller or h.controller
    end = h.clock.now() + seconds
    app = ctl.reconcile(h.record("wf"))
    for _ in range(1000):
        due = ctl.engine.next_due(run_of(h).id)
        if due is None or due > end:
            break
        h.clock.current = max(h.clock.current, due)
        app = ctl.reconcile(app)
    else:
        raise AssertionError("the run is due again and again without the clock moving")
    h.clock.current = max(h.clock.current, end)
    return ctl.reconcile(app)


# --- order ------------------------------------------------------------------------------------------


def test_step_by_step_runs_steps_in_order_and_stops_at_a_suspended_one(h: Harness) -> None:
    calls = spy(h)
    app = h.up(application([say("c"), say("a"), pause("gate"), say("b")]))
    assert calls == ["c", "a"]
    assert phases(h) == {"c": OK, "a": OK, "gate": SUSPENDING, "b": PENDING}
    assert app.phase == Phase.SUSPENDING and "vessel workflow resume wf" in app.message
    h.controller.resume(app)
    assert h.controller.drive(app).phase == Phase.RUNNING
    assert calls == ["c", "a", "b"]
    assert steps(h)["gate"].message == "resumed"


def test_dag_runs_each_step_once_its_dependencies_are_done(h: Harness) -> None:
    calls = spy(h)
    dag = [
        say("c", dependsOn=["b"]),
        say("b", dependsOn=["a"]),
        say("a"),
        pause("gate"),
        say("after-gate", dependsOn=["gate"]),
        say("free"),
    ]
    h.up(application(dag, mode={"steps": "DAG"}))
    assert calls.index("a") < calls.index("b") < calls.index("c") and "free" in calls
    assert phases(h)["after-gate"] == PENDING
    h.controller.resume(h.record("wf"))
    assert h.controller.drive(h.record("wf")).phase == Phase.RUNNING
    assert calls[-1] == "after-gate"


@pytest.mark.parametrize(("sub_mode", "after_gate"), [("StepByStep", PENDING), ("DAG", OK)])
def test_sub_steps_honour_mode_sub_steps(h: Harness, sub_mode: str, after_gate: str) -> None:
    workflow = [group("g", say("first"), pause("gate"), say("second")), say("next")]
    h.up(application(workflow, mode={"steps": "StepByStep", "subSteps": sub_mode}))
    assert phases(h) == {
        "g": SUSPENDING,
        "first": OK,
        "gate": SUSPENDING,
        "second": after_gate,
        "next": PENDING,
    }
    h.controller.resume(h.record("wf"))
    h.controller.drive(h.record("wf"))
    assert set(phases(h).values()) == {OK}


@pytest.mark.parametrize(
    ("sub", "expected"),
    [(say("other"), {"g": OK, "one": OK, "other": OK, "next": OK}),
     (fail("other"), {"g": FAILED, "one": OK, "other": FAILED, "next": SKIPPED})],
)  # fmt: skip
def test_step_group_succeeds_when_all_sub_steps_succeed_and_fails_if_one_fails(
    h: Harness, sub: dict[str, Any], expected: dict[str, str]
) -> None:
    app = h.up(application([group("g", say("one"), sub), say("next")]))
    assert phases(h) == expected
    assert app.phase == (Phase.RUNNING if expected["g"] == OK else Phase.FAILED)


# --- failures and `if` --------------------------------------------------------------------------------


def test_after_a_failure_the_remaining_steps_are_skipped_unless_if_always(h: Harness) -> None:
    workflow = [
        say("ok"),
        fail("bad"),
        say("later"),
        say("notify", **{"if": "always"}),
        group("g", say("inside")),
        say("last"),
    ]
    app = h.up(application(workflow))
    assert phases(h) == {
        "ok": OK, "bad": FAILED, "later": SKIPPED, "notify": OK, "g": SKIPPED, "inside": SKIPPED,
        "last": SKIPPED,
    }  # fmt: skip
    assert app.phase == Phase.FAILED and app.message.startswith("step bad failed:")
    assert "no component named 'missing'" in steps(h)["bad"].message


def test_in_dag_mode_a_failure_skips_only_the_steps_that_depend_on_it(h: Harness) -> None:
    dag = [fail("bad"), say("child", dependsOn=["bad"]), say("grandchild", dependsOn=["child"]), say("free")]
    app = h.up(application(dag, mode={"steps": "DAG"}))
    assert phases(h) == {"bad": FAILED, "child": SKIPPED, "grandchild": SKIPPED, "free": OK}
    assert app.phase == Phase.FAILED


IF_CASES = [  # (if, phase of the step that carries it) — after `ok-step` succeeded and `bad-step` failed
    ('status.ok-step.phase == "succeeded"', OK),
    ("status.ok-step.succeeded", OK),
    ("status.bad-step.failed", OK),  # an explicit `if` is judged even after a failure
    ("status.bad-step.succeeded", SKIPPED),
    ('status["bad-step"].phase == "failed" and not status.bad-step.timeout', OK),
    ('status.bad-step.reason == "Failed"', OK),
    ('inputs.answer == "yes"', OK),
    ('inputs.answer == "no"', SKIPPED),
    ("status.ok-step.phase + 1 > 0", FAILED),  # an expression that fails when evaluated fails its step
]


def test_if_sees_step_status_by_name_and_inputs(h: Harness) -> None:
    answer = {"outputs": [{"name": "answer", "valueFrom": "'yes'"}]}
    probes = [
        say(f"probe-{i}", **{"if": expression}, inputs=[{"from": "answer"}])
        for i, (expression, _) in enumerate(IF_CASES)
    ]
    h.up(application([say("ok-step", **answer), fail("bad-step"), *probes, say("no-if")]))
    found = phases(h)
    assert {expr: found[f"probe-{i}"] for i, (expr, _) in enumerate(IF_CASES)} == dict(IF_CASES)
    assert found["no-if"] == SKIPPED
    assert "cannot evaluate" in steps(h)[f"probe-{len(IF_CASES) - 1}"].message


def test_an_if_that_does_not_parse_is_refused_at_submit_naming_its_field(h: Harness) -> None:
    with pytest.raises(ValidationError, match=r"spec.workflow.steps\[1\].if: syntax error"):
        h.submit(application([say("ok-step"), say("typo", **{"if": "status.ok-step.phase =="})]))


# --- timeouts ----------------------------------------------------------------------------------------


def test_timeout_counts_from_the_persisted_start_and_survives_a_controller_restart(h: Harness) -> None:
    workflow = [
        pause("settle", duration="20s"),
        {**pause("wait"), "timeout": "2m"},
        say("on-timeout", **{"if": "status.wait.timeout"}),
        say("never"),
    ]
    start = h.clock.now()
    h.up(application(workflow))  # passes the timed suspension by itself, stops at the manual one
    started = steps(h)["wait"].started_at
    assert started == start + 20 and phases(h)["wait"] == SUSPENDING
    restarted = Controller(h.store, clock=h.clock, registry=h.registry, owner="restarted")
    h.clock.current = started + 100  # 2m after the run started, but not after `wait` started
    run_for(h, 0, restarted)
    assert phases(h)["wait"] == SUSPENDING
    assert restarted.engine.next_due(run_of(h).id) == started + 120
    app = run_for(h, 21, restarted)
    wait = steps(h)["wait"]
    assert (wait.phase, wait.reason, wait.finished_at) == (FAILED, "Timeout", started + 120)
    assert phases(h) == {"settle": OK, "wait": FAILED, "on-timeout": OK, "never": SKIPPED}
    assert app.phase == Phase.FAILED and "timed out after 2m" in app.message


def test_a_step_group_timeout_stops_its_unfinished_sub_steps(h: Harness) -> None:
    h.up(application([group("g", say("quick"), pause("slow"), timeout="10s")]))
    app = run_for(h, 11)
    assert phases(h) == {"g": FAILED, "quick": OK, "slow": FAILED}
    assert steps(h)["slow"].reason == "Timeout" and app.phase == Phase.FAILED


def test_a_step_waiting_on_an_unhealthy_component_says_so_and_honours_its_timeout(h: Harness) -> None:
    h.targets["mem"].unhealthy.add(API)
    app = h.up(application([apply("deploy-api", timeout="30s"), say("after")]), timeout=10)
    waiting = "waiting for component api on target mem to become healthy"
    assert app.phase == Phase.RUNNING_WORKFLOW and waiting in app.message
    assert waiting in steps(h)["deploy-api"].message
    app = run_for(h, 30)
    record = steps(h)["deploy-api"]
    assert (record.phase, record.reason) == (FAILED, "Timeout") and waiting in record.message
    assert phases(h)["after"] == SKIPPED and app.phase == Phase.FAILED


# --- retries -----------------------------------------------------------------------------------------


def test_transient_failures_are_retried_with_capped_exponential_backoff(h: Harness) -> None:
    assert [backoff.delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    h.targets["mem"].fail_next(3)
    app = h.submit(application([apply("deploy-api")]))
    delays = []
    for _ in range(3):
        app = h.controller.reconcile(app)
        record = steps(h)["deploy-api"]
        assert (record.phase, record.reason) == (StepPhase.RUNNING, "Retrying")
        assert record.attempts == record.errors == len(delays) + 1 and record.next_attempt_at is not None
        delays.append(record.next_attempt_at - h.clock.now())
        assert h.controller.reconcile(app) == app and steps(h)["deploy-api"] == record  # not due yet
        h.clock.current = record.next_attempt_at
    assert delays == [1, 2, 4]
    app = h.controller.reconcile(app)
    record = steps(h)["deploy-api"]
    assert (record.phase, record.attempts, record.errors) == (OK, 4, 0)
    assert app.phase == Phase.RUNNING and API in h.targets["mem"].objects


def test_a_step_fails_after_max_errors_consecutive_transient_failures(h: Harness) -> None:
    h.targets["mem"].unavailable = True
    h.submit(application([apply("deploy-api"), say("after")]))
    app = run_for(h, 3600)
    record = steps(h)["deploy-api"]
    assert (record.phase, record.reason) == (FAILED, "FailedAfterRetries")
    assert record.errors == record.attempts == backoff.MAX_ERRORS
    assert "unreachable" in record.message and phases(h)["after"] == SKIPPED
    assert app.phase == Phase.FAILED


TERMINAL = {  # case: (component changes, workflow, what the failed step's message says)
    "target rejects the object": ({}, [apply("step")], "must be positive"),
    "step properties are invalid": (
        {},
        [{"name": "step", "type": "suspend", "properties": {"duration": 5}}],
        "properties.duration: expected string, got 5",
    ),
    "component does not render": (
        {"traits": [{"type": "scaler", "properties": {"replicas": "three"}}]},
        [apply("step")],
        "replicas: expected integer, got 'three'",
    ),
}


@pytest.mark.parametrize("case", TERMINAL)
def test_terminal_errors_fail_at_once_without_retry(h: Harness, case: str) -> None:
    component, workflow, says = TERMINAL[case]
    h.targets["mem"].reject[API] = "spec.replicas: must be positive"
    app = h.up(application(workflow, components=[{**WEB, **component}]))
    record = steps(h)["step"]
    assert (record.phase, record.errors, record.next_attempt_at) == (FAILED, 0, None)
    assert record.attempts <= 1 and says in record.message and app.phase == Phase.FAILED


# --- suspend, resume, terminate, restart, approval ------------------------------------------------------


def test_suspend_with_duration_resumes_by_itself_when_the_clock_passes_it(h: Harness) -> None:
    start = h.clock.now()
    app = h.submit(application([pause("pause", duration="30s"), say("after")]))
    app = h.controller.reconcile(app)
    assert app.phase == Phase.SUSPENDING and h.controller.engine.next_due(run_of(h).id) == start + 30
    h.clock.current = start + 29
    assert h.controller.reconcile(app).phase == Phase.SUSPENDING and phases(h)["pause"] == SUSPENDING
    h.clock.current = start + 30
    assert h.controller.reconcile(app).phase == Phase.RUNNING
    assert phases(h) == {"pause": OK, "after": OK}


def test_drive_waits_through_a_timed_suspension(h: Harness) -> None:
    start = h.clock.now()
    assert h.up(application([pause("pause", duration="1m"), say("after")])).phase == Phase.RUNNING
    assert h.clock.now() >= start + 60


def test_workflow_suspend_pauses_a_running_workflow_until_resume(h: Harness) -> None:
    h.targets["mem"].unhealthy.add(API)
    app = h.up(application([apply("deploy-api"), say("after")]), timeout=5)
    h.controller.suspend(app)
    attempts = steps(h)["deploy-api"].attempts
    h.targets["mem"].unhealthy.clear()
    app = run_for(h, 60)
    assert app.phase == Phase.SUSPENDING and run_of(h).phase == RunPhase.SUSPENDING
    assert steps(h)["deploy-api"].attempts == attempts and phases(h)["after"] == PENDING
    h.controller.resume(app)
    assert h.controller.drive(app).phase == Phase.RUNNING


def test_a_terminated_workflow_cannot_be_resumed(h: Harness) -> None:
    app = h.up(application([pause("gate"), say("after")]))
    h.controller.terminate(app)
    with pytest.raises(ConflictError, match="not running"):
        h.controller.resume(app)
    app = run_for(h, 60)
    assert app.phase == Phase.TERMINATED and run_of(h).phase == RunPhase.TERMINATED
    gate = steps(h)["gate"]
    assert (gate.phase, gate.reason) == (FAILED, "Terminate") and phases(h)["after"] == PENDING


def test_restart_creates_a_new_run_that_runs_every_step_again(h: Harness) -> None:
    calls = spy(h)
    app = h.up(application([say("a"), pause("gate"), say("b")]))
    h.controller.resume(app)
    h.controller.drive(app)
    first = run_of(h)
    assert first.phase == RunPhase.SUCCEEDED and calls == ["a", "b"]
    h.controller.restart(app)
    h.controller.drive(app)
    second = run_of(h)
    assert second.id != first.id and calls == ["a", "b", "a"]
    assert phases(h) == {"a": OK, "gate": SUSPENDING, "b": PENDING}
    h.controller.restart(app)  # restarting an unfinished run supersedes it: it can never run on
    stopped = h.store.run(second.id)
    assert (stopped.phase, stopped.message) == (RunPhase.TERMINATED, f"superseded by run {run_of(h).id}")
    assert h.store.steps(second.id)["gate"].reason == "Terminate"


def test_deploy_with_auto_false_applies_only_after_approval(h: Harness) -> None:
    deploy = {"name": "prod", "type": "deploy", "properties": {"auto": False}}
    app = h.up(application([deploy]))
    assert app.phase == Phase.SUSPENDING and "waiting for approval" in app.message
    assert h.targets["mem"].objects == {}
    h.controller.resume(app)
    assert h.controller.drive(app).phase == Phase.RUNNING
    assert API in h.targets["mem"].objects and steps(h)["prod"].phase == OK


# --- inputs and outputs ----------------------------------------------------------------------------


def test_step_outputs_flow_into_later_steps_inputs(h: Harness) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings"},
        "data": {"color": "blue"},
    }
    read = {"apiVersion": "v1", "kind": "ConfigMap", "name": "settings", "namespace": "default"}
    workflow = [
        {"name": "create", "type": "apply-object", "properties": {"value": config}},
        {
            "name": "read",
            "type": "read-object",
            "properties": read,
            "outputs": [
                {"name": "color", "valueFrom": "value.data.color"},
                {"name": "config-name", "valueFrom": "value.metadata.name"},
            ],
        },
        say("show", inputs=[{"from": "color", "parameterKey": "message"}]),
    ]
    assert h.up(application(workflow)).phase == Phase.RUNNING
    assert run_of(h).values == {"color": "blue", "config-name": "settings"}
    assert steps(h)["show"].message == "blue"


def test_an_input_that_can_never_arrive_fails_the_step_that_needs_it(h: Harness) -> None:
    broken = say("producer", outputs=[{"name": "answer", "valueFrom": "no_such_field.name"}])
    app = h.up(application([broken, say("consumer", inputs=[{"from": "answer", "parameterKey": "message"}])]))
    consumer = steps(h)["consumer"]
    assert (consumer.phase, consumer.reason) == (FAILED, "Input") and "'answer'" in consumer.message
    assert app.phase == Phase.FAILED


DB = {
    "name": "db",
    "type": "webservice",
    "properties": {"image": "db:1"},
    "outputs": [{"name": "db-host", "valueFrom": "output.metadata.name"}],
}
USES_DB = {**WEB, "inputs": [{"from": "db-host", "parameterKey": "labels.db"}]}
HERE = [{"name": "here", "type": "topology", "properties": {"clusters": ["mem"]}}]
WIRING: dict[str, dict[str, Any]] = {  # how the components are delivered: application() keywords
    "default apply-component steps": {},
    "default deploy step": {"policies": HERE},
    "explicit steps, consumer first": {"steps": [apply("api"), apply("db", "db")], "mode": {"steps": "DAG"}},
}


@pytest.mark.parametrize("wiring", WIRING)
def test_component_outputs_flow_into_other_components_inputs(h: Harness, wiring: str) -> None:
    app = h.up(application(components=[USES_DB, DB], **WIRING[wiring]))
    assert app.phase == Phase.RUNNING
    labels = h.targets["mem"].objects[API]["spec"]["template"]["metadata"]["labels"]
    assert labels["db"] == "db" and run_of(h).values == {"db-host": "db"}


# --- the default workflow ---------------------------------------------------------------------------


def test_default_workflow_is_one_deploy_per_topology_policy(store_url: str) -> None:
    h = Harness.create(store_url, "mem", "edge:zone=edge")
    try:
        topologies = [
            {"name": "central", "type": "topology", "properties": {"clusters": ["mem"]}},
            {"name": "edges", "type": "topology", "properties": {"clusterLabelSelector": {"zone": "edge"}}},
        ]
        assert h.up(application(policies=topologies)).phase == Phase.RUNNING
        found = steps(h)
        assert [(r.name, r.type, r.phase) for r in found.values()] == [
            ("deploy-central", "deploy", OK),
            ("deploy-edges", "deploy", OK),
        ]
        assert API in h.targets["mem"].objects and API in h.targets["edge"].objects
    finally:
        h.store.close()


def test_default_workflow_applies_each_component_after_the_ones_it_depends_on(h: Harness) -> None:
    h.targets["mem"].unhealthy.add(API)
    worker = {"name": "worker", "type": "worker", "properties": {"image": "w:1"}, "dependsOn": ["api"]}
    h.up(application(components=[worker, WEB]), timeout=10)
    found = steps(h)
    assert {r.type for r in found.values()} == {"apply-component"}
    assert (found["api"].phase, found["worker"].phase) == (StepPhase.RUNNING, PENDING)
    h.targets["mem"].unhealthy.clear()
    assert h.controller.drive(h.record("wf")).phase == Phase.RUNNING
    assert phases(h) == {"worker": OK, "api": OK}


def test_an_unknown_step_type_fails_its_step_naming_the_known_types(h: Harness) -> None:
    app = h.up(application([{"name": "odd", "type": "frobnicate"}]))
    record = steps(h)["odd"]
    assert record.phase == FAILED and "unknown workflow step type 'frobnicate'" in record.message
    assert all(known in record.message for known in ("apply-component", "deploy", "suspend"))
    assert app.phase == Phase.FAILED
