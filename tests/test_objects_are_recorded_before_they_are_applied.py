"""Vessel never loses track of an object it created: each object is recorded in the application's
inventory (`applying`) before it is applied, so one applied by a process that died before it could
mark it `applied` is still known — re-applied by the next run and deleted with the application."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from vessel.model.resource_key import ResourceKey
from vessel.store.records import EntryState
from vessel.targets.protocol import ApplyResult
from vessel.testing.engine import Harness, ProcessKilled

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components: [{name: api, type: worker, properties: {image: "api:1"}}]
"""
API = ResourceKey("apps/v1", "Deployment", "default", "api")


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def test_an_object_applied_just_before_a_crash_is_known_and_deleted_with_the_app(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    mem = h.targets["mem"]
    apply = mem.apply

    def apply_then_die(manifest: Mapping[str, Any], **options: Any) -> ApplyResult:
        apply(manifest, **options)
        raise ProcessKilled  # the object is live; the process dies before it can say so

    monkeypatch.setattr(mem, "apply", apply_then_die)
    with pytest.raises(ProcessKilled):
        h.up(APP)
    monkeypatch.undo()
    app = h.record("shop")
    assert API in mem.objects
    assert {e.key: e.state for e in h.store.inventory(app.id)} == {API: EntryState.APPLYING}

    restarted = h.restart()
    assert restarted.delete(app) is True
    assert mem.objects == {}, "an object the dead process applied was left behind"
