"""`vessel delete` and `vessel run` may delete one application at once: whichever finishes second finds
the application gone, and ends as the first did, rather than failing on the event it leaves for an
application that no longer exists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from vessel.model.resource_key import ResourceKey
from vessel.testing.engine import Harness

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: settings
      type: k8s-objects
      properties:
        objects: [{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {a: "1"}}]
"""


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def test_a_delete_that_another_process_finished_first_ends_quietly(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = h.up(APP)
    target = h.targets["mem"]
    delete = target.delete

    def raced(key: ResourceKey) -> Any:  # the other process deletes the object and the application
        gone = delete(key)
        h.store.delete_app(app.id)
        return gone

    monkeypatch.setattr(target, "delete", raced)
    assert h.controller.delete(app) is True
    assert h.store.app("default", "shop") is None
    assert h.store.events(app.id) == []
