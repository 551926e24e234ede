"""healthPolicy and customStatus are evaluated against the live object the engine hands in: missing
fields do not crash, a failing expression means unhealthy (with the reason), and a definition without a
policy is healthy once its workload exists."""

from __future__ import annotations

from typing import Any

import pytest

from vessel.definitions import Definition, Kind, Parameters, StatusRules
from vessel.definitions.registry import Registry
from vessel.errors import Location
from vessel.render import evaluate_status
from vessel.render.health import TraitHealth, judge_component
from vessel.render.resource import AUXILIARY
from vessel.render.status_basis import StatusBasis

HEALTH = (
    "context.output.status.readyReplicas | default(0) == context.output.spec.replicas"
    " and context.output.status.observedGeneration | default(0) >= context.output.metadata.generation"
)
MESSAGE = "Ready:{{ context.output.status.readyReplicas | default(0) }}/{{ context.output.spec.replicas }}"


def definition(health: str | None = HEALTH, message: str | None = MESSAGE) -> Definition:
    rules = StatusRules(health, message, Location()) if health or message else None
    return Definition(Kind.COMPONENT, "d", Parameters(None, Location()), {}, status=rules)


def deployment(ready: int | None, replicas: int = 2) -> dict[str, Any]:
    obj: dict[str, Any] = {"metadata": {"generation": 3}, "spec": {"replicas": replicas}}
    if ready is not None:
        obj["status"] = {"readyReplicas": ready, "observedGeneration": 3}
    return obj


def test_ready_deployment_is_healthy_with_its_message() -> None:
    status = evaluate_status(definition(), deployment(ready=2))
    assert status.healthy and status.message == "Ready:2/2"


def test_partially_ready_deployment_is_unhealthy() -> None:
    status = evaluate_status(definition(), deployment(ready=1))
    assert not status.healthy and status.message == "Ready:1/2"


def test_object_without_status_yet_is_unhealthy_not_an_error() -> None:
    status = evaluate_status(definition(), deployment(ready=None))
    assert not status.healthy and status.message == "Ready:0/2"


def test_missing_workload_is_unhealthy_and_says_so() -> None:
    status = evaluate_status(definition(), None)
    assert not status.healthy and "does not exist" in status.message


def test_failing_expression_is_unhealthy_with_the_reason() -> None:
    status = evaluate_status(definition("context.output.spec.replicas + 'x'", None), deployment(ready=2))
    assert not status.healthy and "status evaluation failed" in status.message


@pytest.mark.parametrize(
    "policy",
    ["context.output.status.healthy", "context.output.status.conditions[0].ready", "parameter.nothing"],
)
def test_a_health_policy_that_evaluates_to_undefined_is_unhealthy(policy: str) -> None:
    """A field the live object lacks (yet) is not a verdict: undefined must never read as healthy."""
    assert not evaluate_status(definition(policy, None), deployment(ready=2)).healthy
    live = {**deployment(ready=2), "status": {"healthy": True, "conditions": [{"ready": True}]}}
    assert evaluate_status(definition(policy, None), live, parameter={"nothing": True}).healthy


def test_no_health_policy_means_healthy_once_it_exists() -> None:
    assert evaluate_status(definition(None, None), deployment(ready=0)).healthy


def test_parameters_and_outputs_are_visible_to_status_rules() -> None:
    rules = definition("parameter.port == context.outputs.service.spec.ports[0].port", None)
    service = {"spec": {"ports": [{"port": 80}]}}
    assert evaluate_status(rules, deployment(2), {"service": service}, {"port": 80}).healthy
    assert not evaluate_status(rules, deployment(2), {"service": service}, {"port": 81}).healthy


def test_a_trait_sees_only_the_outputs_its_type_rendered_and_its_own_parameters() -> None:
    """KubeVela's trait context: `context.outputs` holds the objects that trait rendered (not the
    component's own, not another trait's), and there is no `context.output`."""
    component = definition("context.outputs | list == ['svc']", None)
    own = "context.outputs | list == ['route'] and context.output is not defined"
    rules = StatusRules(own, "{{ parameter.host }}: {{ context.name }}", Location())
    trait = Definition(Kind.TRAIT, "route", Parameters(None, Location()), {}, status=rules)
    owners = {"svc": AUXILIARY, "route": "route", "cache": "other"}
    basis = StatusBasis.of("d", {}, {"name": "web"}, owners, [("route", {"host": "h"})])
    outputs = {"svc": {"kind": "Service"}, "route": {"kind": "Ingress"}, "cache": {"kind": "ConfigMap"}}
    health = judge_component(Registry([component, trait]), basis, deployment(2), outputs)
    assert health.workload.healthy
    assert health.traits == (TraitHealth("route", True, "h: web"),)


def test_a_component_with_an_unhealthy_trait_is_unhealthy_and_names_it() -> None:
    rules = StatusRules("false", "no address", Location())
    trait = Definition(Kind.TRAIT, "route", Parameters(None, Location()), {}, status=rules)
    basis = StatusBasis.of("d", {}, {}, {}, [("route", {})])
    health = judge_component(Registry([definition(), trait]), basis, deployment(2), {})
    assert health.workload.healthy and not health.healthy
    assert health.problem == "trait route: no address"
