"""Resource policies on memory targets (SQLite and PostgreSQL): apply-once, read-only, take-over,
shared-resource and garbage-collect rules — and the pure selector and field-path logic under them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from vessel.errors import ValidationError
from vessel.model.application import Policy
from vessel.model.frozen import freeze
from vessel.model.resource_key import ResourceKey
from vessel.policies.resources import (
    NEVER,
    ON_APP_DELETE,
    ON_APP_UPDATE,
    ON_STATE_KEEP,
    ON_UPDATE,
    ResourcePolicies,
    Selector,
    keep_live_fields,
    parse_path,
)
from vessel.store import EntryState, Phase, RunPhase
from vessel.testing.engine import Harness

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:1", ports: [{port: 80, expose: true}]}
      traits:
        - type: scaler
          properties: {replicas: 2}
    - name: worker
      type: worker
      properties: {image: "shop/worker:1"}
"""
API = ResourceKey("apps/v1", "Deployment", "default", "api")
SERVICE = ResourceKey("v1", "Service", "default", "api")
WORKER = ResourceKey("apps/v1", "Deployment", "default", "worker")
CONFIG = ResourceKey("v1", "ConfigMap", "default", "settings")


def with_policies(app: str, policies: str) -> str:
    return app + "  policies:\n" + "".join(f"    {line}\n" for line in policies.strip().splitlines())


def config_app(name: str, value: str, policies: str = "") -> str:
    text = f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: {name}}}
spec:
  components:
    - name: {name}-config
      type: k8s-objects
      properties:
        objects: [{{apiVersion: v1, kind: ConfigMap, metadata: {{name: settings}}, data: {{owner: {value}}}}}]
"""
    return with_policies(text, policies) if policies else text


SHARED = """
- name: share
  type: shared-resource
  properties: {rules: [{selector: {resourceTypes: [ConfigMap]}}]}
"""


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def image(obj: dict[str, Any]) -> str:
    return str(obj["spec"]["template"]["spec"]["containers"][0]["image"])


def run_message(h: Harness, name: str) -> str:
    run = h.store.latest_run(h.record(name).id)
    assert run is not None
    return f"{run.phase}: {run.message}"


def states(h: Harness, name: str) -> dict[ResourceKey, str]:
    return {e.key: e.state for e in h.store.inventory(h.record(name).id)}


# --- the pure part: selectors, rules, field paths ----------------------------------------------------


def manifest(kind: str, name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "labels": labels}}


WORKLOAD = manifest(
    "Deployment",
    "api",
    **{
        "app.oam.dev/component": "api",
        "app.oam.dev/resourceType": "WORKLOAD",
        "workload.oam.dev/type": "webservice",
    },
)
TRAIT = manifest(
    "HorizontalPodAutoscaler",
    "api-hpa",
    **{"app.oam.dev/component": "api", "app.oam.dev/resourceType": "TRAIT", "trait.oam.dev/type": "hpa"},
)


@pytest.mark.parametrize(
    ("selector", "workload", "trait"),
    [
        ({"componentNames": ["api"]}, True, True),
        ({"componentNames": ["web"]}, False, False),
        ({"componentTypes": ["webservice"]}, True, False),  # only workloads carry the component type
        ({"oamTypes": ["TRAIT"]}, False, True),
        ({"traitTypes": ["hpa"]}, False, True),
        ({"resourceTypes": ["Deployment"]}, True, False),
        ({"resourceNames": ["api-hpa"]}, False, True),
        ({"componentNames": ["api"], "oamTypes": ["COMPONENT"]}, False, False),  # every condition must hold
        ({"componentNames": ["api"], "resourceTypes": ["Deployment"]}, True, False),
        ({}, False, False),  # an empty selector selects nothing
    ],
)
def test_selectors_match_like_kubevela(selector: dict[str, Any], workload: bool, trait: bool) -> None:
    parsed = Selector.parse(freeze(selector))
    assert (parsed.matches(WORKLOAD), parsed.matches(TRAIT)) == (workload, trait)


def test_first_matching_rule_decides() -> None:
    policies = ResourcePolicies(
        [
            Policy(
                "gc",
                "garbage-collect",
                freeze(
                    {
                        "rules": [
                            {"selector": {"traitTypes": ["hpa"]}, "strategy": "never"},
                            {"selector": {"componentNames": ["api"]}, "strategy": "onAppDelete"},
                        ]
                    }
                ),
            ),
            Policy(
                "once",
                "apply-once",
                freeze(
                    {
                        "enable": True,
                        "rules": [
                            {
                                "selector": {"resourceTypes": ["Deployment"]},
                                "strategy": {"path": ["spec.replicas"], "affect": "onStateKeep"},
                            }
                        ],
                    }
                ),
            ),
        ]
    )
    assert policies.gc_strategy(TRAIT) == NEVER
    assert policies.gc_strategy(WORKLOAD) == ON_APP_DELETE
    assert policies.gc_strategy(manifest("Service", "x")) == ON_APP_UPDATE
    assert not policies.apply_once_all
    assert policies.apply_once_paths(WORKLOAD, ON_STATE_KEEP) == ("spec.replicas",)
    assert policies.apply_once_paths(WORKLOAD, ON_UPDATE) is None
    assert policies.apply_once_paths(TRAIT, ON_STATE_KEEP) is None


def test_apply_once_rules_need_enable() -> None:
    rules = {"rules": [{"selector": {"componentNames": ["api"]}, "strategy": {"path": ["*"]}}]}
    off = ResourcePolicies([Policy("once", "apply-once", freeze(rules))])
    on = ResourcePolicies([Policy("once", "apply-once", freeze({**rules, "enable": True}))])
    whole = ResourcePolicies([Policy("once", "apply-once", freeze({"enable": True}))])
    assert off.apply_once_paths(WORKLOAD, ON_UPDATE) is None and not off.apply_once_all
    assert on.apply_once_paths(WORKLOAD, ON_UPDATE) == ("*",) and not on.apply_once_all
    assert whole.apply_once_all


def test_field_paths_follow_kubevela_syntax() -> None:
    assert parse_path("spec.replicas") == ["spec", "replicas"]
    assert parse_path("spec.template.spec.containers[0].resources") == [
        "spec",
        "template",
        "spec",
        "containers",
        0,
        "resources",
    ]
    assert parse_path("metadata.labels['app.kubernetes.io/name']") == [
        "metadata",
        "labels",
        "app.kubernetes.io/name",
    ]
    with pytest.raises(ValidationError, match="field path"):
        parse_path("spec..replicas")


def test_keep_live_fields_takes_only_the_listed_paths_from_live() -> None:
    rendered = {
        "spec": {"replicas": 2, "template": {"spec": {"containers": [{"image": "a:1", "resources": {}}]}}}
    }
    live = {
        "spec": {
            "replicas": 7,
            "template": {"spec": {"containers": [{"image": "a:0", "resources": {"limits": {"cpu": "1"}}}]}},
        },
        "metadata": {"annotations": {"hpa": "yes"}},
    }
    paths = ["spec.replicas", "spec.template.spec.containers[0].resources", "metadata.annotations.hpa"]
    merged = keep_live_fields(rendered, live, [*paths, "spec.absent", "spec.template.spec.containers[3].x"])
    assert merged == {
        "spec": {
            "replicas": 7,
            "template": {"spec": {"containers": [{"image": "a:1", "resources": {"limits": {"cpu": "1"}}}]}},
        },
        "metadata": {"annotations": {"hpa": "yes"}},
    }
    assert rendered["spec"]["replicas"] == 2  # a new object: the rendered manifest is untouched


# --- apply-once -----------------------------------------------------------------------------------


def test_apply_once_for_the_whole_app_leaves_drift_alone(h: Harness) -> None:
    text = with_policies(APP, "- {name: once, type: apply-once, properties: {enable: true}}")
    app = h.up(text)
    assert app.phase == Phase.RUNNING
    mem = h.targets["mem"]
    mem.objects[API]["spec"]["replicas"] = 9
    mem.objects[WORKER]["spec"]["template"]["spec"]["containers"][0]["image"] = "hotfix:1"
    changes, writes = mem.counters.changing_applies, h.store.writes
    for _ in range(3):
        app = h.controller.reconcile(app)
    assert app.phase == Phase.RUNNING
    assert mem.objects[API]["spec"]["replicas"] == 9 and image(mem.objects[WORKER]) == "hotfix:1"
    # Nothing re-applied; the one write records the versions the drifted objects were found at, so
    # later passes skip them (controller/steady.py).
    assert (mem.counters.changing_applies, h.store.writes) == (changes, writes + 1)

    # deploying the same revision again does not re-apply either ...
    h.controller.restart(app)
    app = h.controller.drive(h.record("shop"))
    assert h.store.latest_run(app.id).phase == RunPhase.SUCCEEDED  # type: ignore[union-attr]
    assert mem.objects[API]["spec"]["replicas"] == 9 and image(mem.objects[WORKER]) == "hotfix:1"
    assert mem.counters.changing_applies == changes

    # ... while a new revision is applied (once): every manifest names its revision, so all changed
    app = h.up(text.replace("shop/worker:1", "shop/worker:2"))
    assert image(mem.objects[WORKER]) == "shop/worker:2"
    assert mem.objects[API]["spec"]["replicas"] == 2
    assert {e.revision for e in h.store.inventory(app.id)} == {2}


def test_apply_once_does_not_recreate_a_deleted_object_until_the_next_deploy(h: Harness) -> None:
    app = h.up(with_policies(APP, "- {name: once, type: apply-once, properties: {enable: true}}"))
    del h.targets["mem"].objects[WORKER]
    app = h.controller.reconcile(app)
    assert app.phase == Phase.UNHEALTHY
    assert "worker" in app.message and "apply-once does not re-create it" in app.message
    assert WORKER not in h.targets["mem"].objects
    h.controller.restart(app)
    app = h.controller.drive(h.record("shop"))
    assert WORKER in h.targets["mem"].objects
    assert h.controller.reconcile(app).phase == Phase.RUNNING


APPLY_ONCE_REPLICAS = """
- name: hpa-owns-replicas
  type: apply-once
  properties:
    enable: true
    rules:
      - selector: {componentNames: [api], resourceTypes: [Deployment]}
        strategy: {path: [spec.replicas]}
"""


def test_apply_once_rule_keeps_only_the_listed_fields(h: Harness) -> None:
    text = with_policies(APP, APPLY_ONCE_REPLICAS)
    app = h.up(text)
    mem = h.targets["mem"]
    assert mem.objects[API]["spec"]["replicas"] == 2  # first apply: as rendered
    mem.objects[API]["spec"]["replicas"] = 5  # an autoscaler scaled it
    mem.objects[API]["spec"]["template"]["spec"]["containers"][0]["image"] = "drifted:1"
    mem.objects[WORKER]["spec"]["template"]["spec"]["containers"][0]["image"] = "drifted:1"
    app = h.controller.reconcile(app)
    assert app.phase == Phase.RUNNING
    assert mem.objects[API]["spec"]["replicas"] == 5
    assert image(mem.objects[API]) == "shop/api:1"
    assert image(mem.objects[WORKER]) == "shop/worker:1"  # not selected: corrected

    changes = mem.counters.changing_applies
    for _ in range(3):
        app = h.controller.reconcile(app)
    assert mem.counters.changing_applies == changes  # keeping the live value is no change

    app = h.up(text.replace("shop/api:1", "shop/api:2"))
    assert image(mem.objects[API]) == "shop/api:2"
    assert mem.objects[API]["spec"]["replicas"] == 5
    assert h.store.inventory(app.id)[0].manifest["spec"]["replicas"] == 2  # the record stays as rendered


def test_apply_once_rule_can_affect_only_the_steady_state_loop(h: Harness) -> None:
    affect = APPLY_ONCE_REPLICAS.replace("[spec.replicas]}", "[spec.replicas], affect: onStateKeep}")
    app = h.up(with_policies(APP, affect))
    mem = h.targets["mem"]
    mem.objects[API]["spec"]["replicas"] = 5
    app = h.controller.reconcile(app)
    assert mem.objects[API]["spec"]["replicas"] == 5  # the steady-state loop keeps it
    h.controller.restart(app)
    h.controller.drive(h.record("shop"))
    assert mem.objects[API]["spec"]["replicas"] == 2  # a deploy applies the rendered value


# --- read-only -----------------------------------------------------------------------------------

READ_ONLY = "- {name: ro, type: read-only, properties: {rules: [{selector: {resourceTypes: [ConfigMap]}}]}}"


def test_read_only_waits_for_the_object_and_never_writes_or_deletes_it(h: Harness) -> None:
    mem = h.targets["mem"]
    app = h.up(config_app("reader", "reader", READ_ONLY), timeout=20)
    assert app.phase == Phase.RUNNING_WORKFLOW
    message = run_message(h, "reader")
    assert "ConfigMap.v1 default/settings" in message and "read-only policy 'ro' only reads it" in message
    assert CONFIG not in mem.objects and mem.counters.applies == 0

    mem.objects[CONFIG] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": "default"},
        "data": {"owner": "someone else"},
    }
    app = h.controller.drive(h.record("reader"), timeout=600)
    app = h.controller.reconcile(app)
    assert app.phase == Phase.RUNNING
    assert mem.objects[CONFIG]["data"] == {"owner": "someone else"}  # read, never written
    assert mem.counters.applies == 0
    assert states(h, "reader") == {CONFIG: EntryState.READING}

    del mem.objects[CONFIG]
    app = h.controller.reconcile(app)
    assert app.phase == Phase.UNHEALTHY and "only reads it" in app.message
    assert CONFIG not in mem.objects

    mem.objects[CONFIG] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}}
    assert h.controller.delete(h.record("reader")) is True
    assert CONFIG in mem.objects and mem.counters.deletes == 0


def test_read_only_objects_are_not_pruned(h: Harness) -> None:
    mem = h.targets["mem"]
    mem.objects[CONFIG] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}}
    text = with_policies(APP, READ_ONLY).replace(
        "  policies:",
        "    - name: cfg\n      type: k8s-objects\n      properties:\n"
        "        objects: [{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}}]\n  policies:",
    )
    assert h.up(text).phase == Phase.RUNNING
    app = h.up(with_policies(APP, READ_ONLY))
    assert app.phase == Phase.RUNNING
    assert CONFIG in mem.objects
    assert CONFIG not in states(h, "shop")


# --- take-over -------------------------------------------------------------------------------------


def test_an_existing_object_of_no_application_needs_take_over(h: Harness) -> None:
    mem = h.targets["mem"]
    mem.objects[CONFIG] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": "default"},
        "data": {"owner": "a person"},
    }
    app = h.up(config_app("adopter", "adopter"))
    run = h.store.latest_run(app.id)
    assert run is not None and run.phase == RunPhase.FAILED
    assert "ConfigMap.v1 default/settings on target 'mem' already exists and belongs to no" in run.message
    assert "take-over" in run.message
    assert mem.objects[CONFIG]["data"] == {"owner": "a person"}
    assert states(h, "adopter") == {}

    take_over = (
        "- {name: adopt, type: take-over, properties: {rules: [{selector: {resourceNames: [settings]}}]}}"
    )
    app = h.up(config_app("adopter", "adopter", take_over))
    assert app.phase == Phase.RUNNING
    assert mem.objects[CONFIG]["data"] == {"owner": "adopter"}
    assert states(h, "adopter") == {CONFIG: EntryState.APPLIED}


def test_the_ownership_check_costs_one_get_per_new_object(h: Harness) -> None:
    app = h.up(APP)
    assert h.targets["mem"].counters.gets == 3
    h.controller.restart(app)
    app = h.controller.drive(h.record("shop"))
    for _ in range(3):
        app = h.controller.reconcile(app)
    assert h.targets["mem"].counters.gets == 3


def test_objects_left_behind_by_the_same_application_need_no_take_over(h: Harness) -> None:
    keeping = "{rules: [{selector: {componentNames: [api, worker]}, strategy: never}]}"
    orphaning = with_policies(APP, f"- {{name: gc, type: garbage-collect, properties: {keeping}}}")
    assert h.controller.delete(h.up(orphaning)) is True
    assert set(h.targets["mem"].objects) == {API, SERVICE, WORKER}
    assert h.up(APP).phase == Phase.RUNNING


# --- shared-resource -------------------------------------------------------------------------------


def test_shared_objects_are_written_by_the_first_holder_and_deleted_by_the_last(h: Harness) -> None:
    mem = h.targets["mem"]
    assert h.up(config_app("first", "first", SHARED)).phase == Phase.RUNNING
    assert h.up(config_app("second", "second", SHARED)).phase == Phase.RUNNING
    assert mem.objects[CONFIG]["data"] == {"owner": "first"}  # only the first holder writes it
    assert states(h, "first") == {CONFIG: EntryState.APPLIED}
    assert states(h, "second") == {CONFIG: EntryState.SHARING}

    assert h.controller.delete(h.record("first")) is True
    assert CONFIG in mem.objects  # the second application still holds it
    app = h.controller.reconcile(h.record("second"))
    assert app.phase == Phase.RUNNING
    assert states(h, "second") == {CONFIG: EntryState.APPLIED}  # the last holder writes it now
    assert mem.objects[CONFIG]["data"] == {"owner": "second"}

    assert h.controller.delete(app) is True
    assert CONFIG not in mem.objects


def test_sharing_needs_the_policy_in_both_applications(h: Harness) -> None:
    assert h.up(config_app("first", "first")).phase == Phase.RUNNING
    app = h.up(config_app("second", "second"))
    assert "belongs to application default/first" in run_message(h, "second")
    assert "shared-resource" in run_message(h, "second")

    app = h.up(config_app("second", "second", SHARED))
    message = run_message(h, "second")
    assert message.startswith(RunPhase.FAILED)
    assert "belongs to application default/first, which does not share it" in message
    assert app.phase != Phase.RUNNING
    assert h.targets["mem"].objects[CONFIG]["data"] == {"owner": "first"}


def test_a_shared_object_is_let_go_not_deleted_when_no_longer_rendered(h: Harness) -> None:
    mem = h.targets["mem"]
    h.up(config_app("first", "first", SHARED))
    text = config_app("second", "second", SHARED).replace(
        "  policies:",
        "    - name: extra\n      type: k8s-objects\n      properties:\n"
        "        objects: [{apiVersion: v1, kind: ConfigMap, metadata: {name: extra}}]\n  policies:",
    )
    h.up(text)
    h.up(
        text.replace("    - name: second-config", "    - name: unused").replace(
            "name: settings", "name: other"
        )
    )
    assert CONFIG in mem.objects
    assert CONFIG not in states(h, "second")
    assert states(h, "first") == {CONFIG: EntryState.APPLIED}


# --- garbage-collect rules -------------------------------------------------------------------------


def gc_rules(strategy: str) -> str:
    return (
        "- {name: gc, type: garbage-collect, properties: "
        f"{{rules: [{{selector: {{componentNames: [worker]}}, strategy: {strategy}}}]}}}}"
    )


WITHOUT_WORKER = APP[: APP.index("    - name: worker")]


@pytest.mark.parametrize(
    ("strategy", "after_update", "after_delete"),
    [("onAppUpdate", False, False), ("onAppDelete", True, False), ("never", True, True)],
)
def test_garbage_collect_rules_decide_when_an_object_goes(
    h: Harness, strategy: str, after_update: bool, after_delete: bool
) -> None:
    mem = h.targets["mem"]
    h.up(with_policies(APP, gc_rules(strategy)))
    app = h.up(with_policies(WITHOUT_WORKER, gc_rules(strategy)))
    assert app.phase == Phase.RUNNING
    assert (WORKER in mem.objects) is after_update
    assert (WORKER in states(h, "shop")) is after_update
    assert {API, SERVICE} <= set(mem.objects)
    assert h.controller.delete(app) is True
    assert set(mem.objects) == ({WORKER} if after_delete else set())


def test_keep_legacy_resource_keeps_what_a_new_revision_no_longer_renders_until_delete(h: Harness) -> None:
    mem, keep = (
        h.targets["mem"],
        "- {name: gc, type: garbage-collect, properties: {keepLegacyResource: true}}",
    )
    h.up(with_policies(APP, keep))
    app = h.up(with_policies(WITHOUT_WORKER, keep))
    assert app.phase == Phase.RUNNING and app.revision == 2
    assert WORKER in mem.objects and states(h, "shop")[WORKER] == EntryState.APPLIED
    assert h.controller.delete(app) is True
    assert mem.objects == {}, "a kept legacy object still goes with the application"


def test_a_read_only_reader_does_not_keep_the_writer_from_deleting(h: Harness) -> None:
    mem = h.targets["mem"]
    assert h.up(config_app("writer", "writer")).phase == Phase.RUNNING
    assert h.up(config_app("reader", "reader", READ_ONLY)).phase == Phase.RUNNING
    assert mem.objects[CONFIG]["data"] == {"owner": "writer"}
    assert h.controller.delete(h.record("writer")) is True
    assert CONFIG not in mem.objects
    app = h.controller.reconcile(h.record("reader"))
    assert app.phase == Phase.UNHEALTHY and "only reads it" in app.message
