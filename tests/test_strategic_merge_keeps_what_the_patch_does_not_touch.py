"""Trait patches merge like Kubernetes strategic merge: keyed lists merge by key, directives work, and
neither the workload nor the patch is modified."""

from __future__ import annotations

import copy

from vessel.render.merge_patch import json_merge_patch
from vessel.render.strategic_merge import strategic_merge

POD = {
    "spec": {
        "replicas": 1,
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "app:1",
                        "env": [{"name": "A", "value": "1"}],
                        "ports": [{"containerPort": 80}],
                    },
                ],
                "volumes": [{"name": "data", "emptyDir": {}}],
                "tolerations": [{"key": "a"}],
            }
        },
    }
}


def containers(obj: dict) -> list:  # type: ignore[type-arg]
    return obj["spec"]["template"]["spec"]["containers"]  # type: ignore[no-any-return]


def test_sidecar_is_added_without_touching_the_app_container() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "proxy", "image": "envoy"}]}}}}
    assert [c["name"] for c in containers(strategic_merge(POD, patch))] == ["app", "proxy"]


def test_same_named_container_is_merged_field_by_field() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "env": [{"name": "B", "value": "2"}, {"name": "A", "value": "9"}],
                            "ports": [{"containerPort": 443}],
                        }
                    ]
                }
            }
        }
    }
    (app,) = containers(strategic_merge(POD, patch))
    assert app["image"] == "app:1"
    assert app["env"] == [{"name": "A", "value": "9"}, {"name": "B", "value": "2"}]
    assert app["ports"] == [{"containerPort": 80}, {"containerPort": 443}]


def test_lists_without_a_merge_key_are_replaced() -> None:
    patch = {"spec": {"template": {"spec": {"tolerations": [{"key": "b"}]}}}}
    assert strategic_merge(POD, patch)["spec"]["template"]["spec"]["tolerations"] == [{"key": "b"}]


def test_null_deletes_a_field() -> None:
    assert "replicas" not in strategic_merge(POD, {"spec": {"replicas": None}})["spec"]


def test_patch_replace_directive_replaces_a_map_and_a_list() -> None:
    patch = {"spec": {"template": {"spec": {"$patch": "replace", "containers": [{"name": "only"}]}}}}
    assert strategic_merge(POD, patch)["spec"]["template"]["spec"] == {"containers": [{"name": "only"}]}
    patch = {"spec": {"template": {"spec": {"volumes": [{"$patch": "replace"}, {"name": "new"}]}}}}
    assert strategic_merge(POD, patch)["spec"]["template"]["spec"]["volumes"] == [{"name": "new"}]


def test_patch_delete_directive_removes_a_keyed_item() -> None:
    patch = {"spec": {"template": {"spec": {"volumes": [{"name": "data", "$patch": "delete"}]}}}}
    assert strategic_merge(POD, patch)["spec"]["template"]["spec"]["volumes"] == []


def test_service_ports_merge_by_port() -> None:
    svc = {"spec": {"ports": [{"port": 80, "name": "http"}]}}
    merged = strategic_merge(svc, {"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}})
    assert merged["spec"]["ports"] == [{"port": 80, "name": "http", "targetPort": 8080}, {"port": 443}]


def test_custom_merge_keys() -> None:
    merged = strategic_merge(
        {"rules": [{"id": 1, "a": 1}]}, {"rules": [{"id": 1, "b": 2}]}, {"rules": ("id",)}
    )
    assert merged == {"rules": [{"id": 1, "a": 1, "b": 2}]}


def test_inputs_are_never_modified() -> None:
    before = copy.deepcopy(POD)
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2"}]}}}}
    patch_before = copy.deepcopy(patch)
    strategic_merge(POD, patch)
    assert before == POD and patch == patch_before


def test_directives_never_leak_into_the_result() -> None:
    patch = {"spec": {"fresh": {"$patch": "replace", "a": 1}, "list": [{"$patch": "replace"}, {"x": 1}]}}
    assert "$patch" not in repr(strategic_merge({}, patch))


def test_json_merge_patch_follows_rfc7386() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]}
    assert json_merge_patch(target, {"a": "z", "c": {"f": None}, "l": [3]}) == {
        "a": "z",
        "c": {"d": "e"},
        "l": [3],
    }
