"""`Deployment` and `deployment` of one name are one object — to the key, the store and every target —
so a conflict names the application that really holds it, and respelling a kind never prunes the object
just applied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from vessel.model.resource_key import ResourceKey
from vessel.store import Phase
from vessel.store.store import MIGRATIONS, Store
from vessel.testing.engine import Harness


def config_app(name: str, kind: str) -> str:
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: {name}}}
spec:
  components:
    - name: settings
      type: k8s-objects
      properties:
        objects: [{{apiVersion: v1, kind: {kind}, metadata: {{name: shared}}, data: {{owner: {name}}}}}]
  policies:
    - {{name: here, type: topology, properties: {{clusters: [out]}}}}
"""


@pytest.fixture
def h(store_url: str, tmp_path: Path) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    harness.add_target("out", "directory", {"path": str(tmp_path / "out")})
    yield harness
    harness.store.close()


def test_keys_that_differ_only_in_kind_case_are_one_key() -> None:
    upper = ResourceKey("apps/v1", "Deployment", "default", "web")
    lower = ResourceKey("apps/v1", "deployment", "default", "web")
    assert upper == lower and hash(upper) == hash(lower) and {upper: 1}[lower] == 1
    assert str(lower) == "deployment.apps/v1 default/web"  # messages keep the spelling written
    assert upper != ResourceKey("apps/v1", "Deployment", "default", "api")


def test_a_conflict_names_the_holder_whatever_the_kind_case(h: Harness, tmp_path: Path) -> None:
    assert h.up(config_app("a", "ConfigMap")).phase == Phase.RUNNING
    b = h.up(config_app("b", "configmap"))
    assert b.phase == Phase.FAILED
    assert "belongs to application default/a" in b.message
    assert "no Vessel application" not in b.message
    written = (tmp_path / "out/default/configmap.core/shared.yaml").read_text()
    assert "owner: a" in written  # a's object was not touched


def test_respelling_a_kind_keeps_the_object_it_applied(h: Harness, tmp_path: Path) -> None:
    h.up(config_app("a", "ConfigMap"))
    app = h.up(config_app("a", "configmap"))
    assert app.phase == Phase.RUNNING and app.revision == 2
    assert (tmp_path / "out/default/configmap.core/shared.yaml").exists()
    reasons = [e.reason for e in h.store.events(app.id)]
    assert "Pruned" not in reasons and "DriftCorrected" not in reasons  # never deleted as "the old one"
    assert [e.key.kind for e in h.store.inventory(app.id)] == ["configmap"]


def test_upgrading_keeps_finding_entries_recorded_with_a_spelled_kind(store_url: str) -> None:
    engine = sa.create_engine(store_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
        conn.execute(
            sa.text(
                "INSERT INTO applications (namespace, name, revision, latest_revision, phase, message, "
                "deleting, created_at, updated_at) "
                "VALUES ('default', 'old', 1, 1, 'running', '', false, 0, 0)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO inventory (app_id, target, api_version, kind, namespace, name, component, "
                "revision, state, digest, manifest, role, updated_at) VALUES (1, 'out', 'apps/v1', "
                "'Deployment', 'default', 'web', 'web', 1, 'applied', 'd', "
                """'{"apiVersion": "apps/v1", "kind": "Deployment"}', '', 0)"""
            )
        )
    engine.dispose()
    store = Store.open(store_url)
    try:
        held = store.holders("out", ResourceKey("apps/v1", "deployment", "default", "web"))
        assert list(held) == [1] and held[1].key.kind == "Deployment"
    finally:
        store.close()


def test_an_object_nobody_holds_is_named_by_the_labels_it_carries(store_url: str) -> None:
    h = Harness.create(store_url, "out")
    try:
        labels = {"app.oam.dev/name": "old", "app.oam.dev/namespace": "default"}
        meta = {"name": "shared", "namespace": "default", "labels": labels}
        left = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}
        h.targets["out"].objects[ResourceKey.of(left)] = left
        b = h.up(config_app("b", "ConfigMap"))
        assert b.phase == Phase.FAILED
        assert "carries the labels of application default/old, whose inventory does not hold it" in b.message
    finally:
        h.store.close()
