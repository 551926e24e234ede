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


def test_an_applied_mark_lost_with_its_process_means_the_object_is_applied_again(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `applied` mark rides with the store's next transaction (Store.mark_applied): a process that
    dies before that transaction loses it, as if it had died just after the apply. The entry still says
    `applying`, so the next process applies the object again (its step runs again) and then marks it."""
    mem = h.targets["mem"]
    apply, applied = mem.apply, []

    def apply_and_count(manifest: Mapping[str, Any], **options: Any) -> ApplyResult:
        applied.append(manifest["metadata"]["name"])
        return apply(manifest, **options)

    tx = h.store.tx

    def die_once_applied(*args: Any, **kwargs: Any) -> Any:
        if applied:
            raise ProcessKilled  # the next transaction after the apply never happens
        return tx(*args, **kwargs)

    monkeypatch.setattr(mem, "apply", apply_and_count)
    monkeypatch.setattr(h.store, "tx", die_once_applied)
    with pytest.raises(ProcessKilled):
        h.up(APP)
    monkeypatch.setattr(h.store, "tx", tx)
    restarted = h.restart()
    app = h.record("shop")
    assert {e.key: e.state for e in h.store.inventory(app.id)} == {API: EntryState.APPLYING}

    assert restarted.drive(app).phase == "running"
    run = h.store.latest_run(app.id)
    assert run is not None and h.store.steps(run.id)["api"].attempts == 2  # applied again, by its step
    assert {e.key: e.state for e in h.store.inventory(app.id)} == {API: EntryState.APPLIED}
