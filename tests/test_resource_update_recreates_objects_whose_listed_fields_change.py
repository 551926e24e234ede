"""`resource-update` (KubeVela's policy): an object it selects is deleted and created anew when one of
its `recreateFields` changes — fields a cluster will not change in place — and updated in place when any
other field changes. Objects it does not select are always updated in place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vessel.model.resource_key import ResourceKey
from vessel.policies.resources import needs_recreate
from vessel.store import Phase
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer

POLICY = """\
  policies:
    - name: recreate-settings
      type: resource-update
      properties:
        rules:
          - selector: {resourceNames: [settings]}
            strategy: {op: patch, recreateFields: [data.mode]}
"""
SETTINGS = ResourceKey("v1", "ConfigMap", "default", "settings")
OTHER = ResourceKey("v1", "ConfigMap", "default", "other")


def app(mode: str, level: str, policy: str = POLICY) -> str:
    objects = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name},
            "data": {"mode": mode, "level": level},
        }
        for name in ("settings", "other")
    ]
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - name: config
      type: k8s-objects
      properties: {{objects: {objects}}}
{policy}"""


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def deletes(h: Harness) -> int:
    return h.targets["mem"].counters.deletes


def live(h: Harness, key: ResourceKey) -> dict[str, Any]:
    found = h.targets["mem"].get(key)
    assert found is not None
    return found


def test_a_listed_field_change_recreates_only_the_selected_object(h: Harness) -> None:
    assert h.up(app("a", "info")).phase == Phase.RUNNING
    before = deletes(h)
    record = h.up(app("b", "info"))  # data.mode changes in both objects
    assert record.phase == Phase.RUNNING
    assert deletes(h) == before + 1  # `settings` only: `other` is not selected
    assert live(h, SETTINGS)["data"] == {"mode": "b", "level": "info"}
    assert live(h, OTHER)["data"] == {"mode": "b", "level": "info"}
    events = [e.message for e in h.store.events(record.id)]
    assert any("data.mode changed; deleted to be re-created" in m for m in events)


def test_another_field_change_updates_in_place(h: Harness) -> None:
    h.up(app("a", "info"))
    before = deletes(h)
    assert h.up(app("a", "debug")).phase == Phase.RUNNING
    assert deletes(h) == before
    assert live(h, SETTINGS)["data"] == {"mode": "a", "level": "debug"}


def test_without_the_policy_nothing_is_recreated(h: Harness) -> None:
    h.up(app("a", "info", policy=""))
    before = deletes(h)
    assert h.up(app("b", "info", policy="")).phase == Phase.RUNNING
    assert deletes(h) == before


@pytest.mark.parametrize(
    ("live_object", "desired", "changed"),
    [
        ({"spec": {"a": 1}}, {"spec": {"a": 1}}, []),
        ({"spec": {"a": 1}}, {"spec": {"a": 2}}, ["spec.a"]),
        ({"spec": {}}, {"spec": {"a": 2}}, ["spec.a"]),  # a field one side lacks differs
        ({"spec": {"l": [{"x": 1}]}}, {"spec": {"l": [{"x": 2}]}}, ["spec.l[0].x"]),
    ],
)
def test_recreate_fields_compare_live_and_desired(
    live_object: dict[str, Any], desired: dict[str, Any], changed: list[str]
) -> None:
    paths = ["spec.a"] if "a" in str(desired) else ["spec.l[0].x"]
    assert needs_recreate(live_object, desired, paths) == changed


def test_the_new_object_is_created_only_once_the_old_one_is_gone(h: Harness, monkeypatch: Any) -> None:
    """A cluster deletes in the background: the first delete leaves the object terminating. The apply
    must not land on it (it would be deleted with it); the step waits and creates the object afterwards."""
    h.up(app("a", "info"))
    mem = h.targets["mem"]
    deleted, terminating = [], set()
    real_delete, real_apply = mem.delete, mem.apply

    def slow_delete(key: ResourceKey) -> bool:
        deleted.append(key)
        if len(deleted) == 1:
            terminating.add(key)  # still there until the next delete call
            return True
        terminating.discard(key)
        return real_delete(key)

    def apply(manifest: Any, **kwargs: Any) -> Any:
        assert ResourceKey.of(manifest) not in terminating, "applied to an object being deleted"
        return real_apply(manifest, **kwargs)

    monkeypatch.setattr(mem, "delete", slow_delete)
    monkeypatch.setattr(mem, "apply", apply)
    record = h.up(app("b", "info"))
    assert record.phase == Phase.RUNNING
    assert deleted == [SETTINGS, SETTINGS]
    assert live(h, SETTINGS)["data"] == {"mode": "b", "level": "info"}


def test_on_a_kubernetes_api_server_the_object_is_a_new_one(tmp_path: Path) -> None:
    """The API server gives a re-created object a new uid; one updated in place keeps its uid."""
    to_k8s = "    - {name: there, type: topology, properties: {clusters: [k8s]}}\n"
    with FakeKubeServer() as kube:
        h = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
        h.add_target("k8s", "kubernetes", {"kubeconfig": str(kube.kubeconfig(tmp_path / "kubeconfig"))})
        target = h.controller.targets.get("k8s")

        def uid(key: ResourceKey) -> str:
            found = target.get(key)
            assert found is not None
            return str(found["metadata"]["uid"])

        assert h.up(app("a", "info") + to_k8s).phase == Phase.RUNNING
        before = {SETTINGS: uid(SETTINGS), OTHER: uid(OTHER)}
        assert h.up(app("b", "info") + to_k8s).phase == Phase.RUNNING
        assert uid(SETTINGS) != before[SETTINGS]  # deleted and created anew
        assert uid(OTHER) == before[OTHER]  # not selected: updated in place
        assert (target.get(SETTINGS) or {})["data"] == {"mode": "b", "level": "info"}
        h.store.close()
