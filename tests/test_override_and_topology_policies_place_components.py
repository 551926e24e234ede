"""`override` reshapes components per placement the way KubeVela's override policy does, and `topology`
selects targets by name or label (an empty selection is an error unless allowEmpty)."""

from __future__ import annotations

from typing import Any

import pytest

from vessel.errors import ValidationError
from vessel.model import parse_application, read_text
from vessel.model.application import Component
from vessel.policies.override import apply_overrides
from vessel.policies.topology import Placement, place
from vessel.targets.protocol import TargetInfo

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "api:1", env: [{name: A, value: "1"}], resources: {cpu: "1", memory: 1Gi}}
      traits: [{type: scaler, properties: {replicas: 1}}, {type: labels, properties: {tier: web}}]
    - name: api-admin
      type: webservice
      properties: {image: "admin:1"}
    - name: jobs
      type: worker
      properties: {image: "jobs:1"}
"""


def components() -> tuple[Component, ...]:
    return parse_application(read_text(APP)[0]).components


def override(*patches: dict[str, Any], selector: list[str] | None = None) -> dict[str, Component]:
    props: dict[str, Any] = {"components": list(patches)}
    if selector is not None:
        props["selector"] = selector
    return {c.name: c for c in apply_overrides(components(), props)}


def test_properties_deep_merge_and_lists_replace() -> None:
    api = override(
        {
            "name": "api",
            "properties": {"image": "api:2", "resources": {"cpu": "2"}, "env": [{"name": "B", "value": "2"}]},
        }
    )["api"]
    assert api.properties["image"] == "api:2"
    assert api.properties["resources"] == {"cpu": "2", "memory": "1Gi"}
    assert api.properties["env"] == ({"name": "B", "value": "2"},)


def test_traits_merge_by_type_can_be_disabled_or_added() -> None:
    api = override(
        {
            "name": "api",
            "traits": [
                {"type": "scaler", "properties": {"replicas": 5}},
                {"type": "labels", "disable": True},
                {"type": "annotations", "properties": {"team": "a"}},
            ],
        }
    )["api"]
    assert [(t.type, dict(t.properties)) for t in api.traits] == [
        ("scaler", {"replicas": 5}),
        ("annotations", {"team": "a"}),
    ]


def test_a_trait_override_merges_into_a_multi_key_base_of_the_same_type() -> None:
    base = "{type: labels, properties: {tier: web, team: shop, zone: a}}"
    text = APP.replace("{type: labels, properties: {tier: web}}", base)
    patch = {"name": "api", "traits": [{"type": "labels", "properties": {"zone": "b", "release": "beta"}}]}
    patched = apply_overrides(parse_application(read_text(text)[0]).components, {"components": [patch]})
    api = next(c for c in patched if c.name == "api")
    assert [(t.type, dict(t.properties)) for t in api.traits] == [
        ("scaler", {"replicas": 1}),
        ("labels", {"tier": "web", "team": "shop", "zone": "b", "release": "beta"}),
    ]


def test_name_patterns_and_types_select_components() -> None:
    result = override({"name": "api*", "properties": {"image": "x"}})
    assert result["api"].properties["image"] == result["api-admin"].properties["image"] == "x"
    assert result["jobs"].properties["image"] == "jobs:1"
    by_type = override({"type": "worker", "properties": {"image": "y"}})
    assert by_type["jobs"].properties["image"] == "y" and by_type["api"].properties["image"] == "api:1"


def test_unmatched_name_adds_a_component_and_a_different_type_replaces() -> None:
    result = override(
        {"name": "cache", "type": "worker", "properties": {"image": "redis"}},
        {"name": "jobs", "type": "task", "properties": {"image": "batch"}},
    )
    assert result["cache"].type == "worker" and result["cache"].properties["image"] == "redis"
    assert result["jobs"].type == "task" and result["jobs"].properties == {"image": "batch"}


def test_selector_keeps_only_the_listed_components() -> None:
    assert list(override(selector=["jobs", "api"])) == ["api", "jobs"]


TARGETS = [
    TargetInfo("eu-1", "memory", {"region": "eu", "tier": "prod"}),
    TargetInfo("eu-2", "memory", {"region": "eu", "tier": "stage"}),
    TargetInfo("us-1", "memory", {"region": "us", "tier": "prod"}),
]


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        (
            {"clusters": ["us-1", "eu-1"], "namespace": "shop"},
            [Placement("us-1", "shop"), Placement("eu-1", "shop")],
        ),
        ({"clusterLabelSelector": {"tier": "prod"}}, [Placement("eu-1", None), Placement("us-1", None)]),
        ({"clusterSelector": {"region": "eu"}}, [Placement("eu-1", None), Placement("eu-2", None)]),
        ({}, [Placement("eu-2", None)]),
        ({"clusterLabelSelector": {"region": "mars"}, "allowEmpty": True}, []),
    ],
)
def test_topology_selects_targets(properties: dict[str, Any], expected: list[Placement]) -> None:
    assert place(properties, TARGETS, default="eu-2") == expected


def test_a_label_selector_with_several_keys_needs_every_label_to_match() -> None:
    both = {"clusterLabelSelector": {"region": "eu", "tier": "prod"}}
    assert place(both, TARGETS, default="eu-2") == [Placement("eu-1", None)]
    assert (
        place({"clusterSelector": {"region": "us", "tier": "stage"}, "allowEmpty": True}, TARGETS, "eu-2")
        == []
    )


def test_topology_errors_name_what_is_wrong() -> None:
    with pytest.raises(ValidationError, match="unknown target.*mars-1"):
        place({"clusters": ["mars-1"]}, TARGETS, "eu-1")
    with pytest.raises(ValidationError, match="selects no target"):
        place({"clusterLabelSelector": {"region": "mars"}}, TARGETS, "eu-1")
