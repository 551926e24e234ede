"""The `garbage-collect` policy's history and failure settings, on SQLite and PostgreSQL:
`applicationRevisionLimit` prunes old revisions (never one still in use) and the definition snapshots
only they used; `continueOnFailure` prunes what a failed run outdated, and only that."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from vessel.errors import ConflictError, ValidationError
from vessel.model.resource_key import ResourceKey
from vessel.render.application import render_application
from vessel.store import Phase, RunPhase
from vessel.store import schema as t
from vessel.testing.engine import Harness

API = ResourceKey("apps/v1", "Deployment", "default", "api")
SERVICE = ResourceKey("v1", "Service", "default", "api")
WORKER = ResourceKey("apps/v1", "Deployment", "default", "worker")
CACHE = ResourceKey("apps/v1", "Deployment", "default", "cache")
BROKEN = ResourceKey("apps/v1", "Deployment", "default", "broken")


def app(image: str = "api:1", policy: str = "", components: str = "") -> str:
    text = f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - {{name: api, type: webservice, properties: {{image: "{image}"}}}}
{components}"""
    return text + (
        f"  policies:\n    - {{name: gc, type: garbage-collect, properties: {policy}}}\n" if policy else ""
    )


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def numbers(h: Harness) -> list[int]:
    return [n for n, _, _ in h.store.revisions(h.record("shop").id)]


def snapshot_digests(h: Harness) -> set[str]:
    with h.store.engine.connect() as conn:
        return set(conn.execute(sa.select(t.definition_snapshots.c.digest)).scalars())


# --- applicationRevisionLimit ---------------------------------------------------------------------


def test_only_the_limit_of_older_revisions_is_kept(h: Harness) -> None:
    for i in range(1, 6):
        assert h.up(app(f"api:{i}", "{applicationRevisionLimit: 2}")).phase == Phase.RUNNING
    assert numbers(h) == [3, 4, 5]
    with pytest.raises(ConflictError, match=r"no revision 2 to roll back to.*revisions: 3, 4, 5.*pruned"):
        h.controller.rollback(h.record("shop"), 2)
    h.controller.rollback(h.record("shop"), 3)
    assert h.controller.drive(h.record("shop")).revision == 3
    assert h.targets["mem"].objects[API]["spec"]["template"]["spec"]["containers"][0]["image"] == "api:3"


def test_ten_older_revisions_are_kept_by_default(h: Harness) -> None:
    for i in range(1, 14):
        h.submit(app(f"api:{i}"))
    assert numbers(h) == list(range(3, 14))


def test_a_revision_the_inventory_still_holds_is_never_pruned(h: Harness) -> None:
    """keepLegacyResource keeps revision 1's worker delivered: revision 1 stays, for its health rules."""
    worker = "    - {name: worker, type: worker, properties: {image: worker:1}}\n"
    keep = "{applicationRevisionLimit: 0, keepLegacyResource: true}"
    h.up(app("api:1", keep, worker))
    for i in range(2, 5):
        assert h.up(app(f"api:{i}", keep)).phase == Phase.RUNNING
    assert numbers(h) == [1, 4]
    assert WORKER in h.targets["mem"].objects
    h.targets["mem"].unhealthy.add(WORKER)
    assert h.controller.reconcile(h.record("shop")).phase == Phase.UNHEALTHY  # judged with revision 1


def test_snapshots_go_with_the_last_revision_that_used_them(h: Harness) -> None:
    limit = "{applicationRevisionLimit: 0}"
    h.submit(app("api:1", limit, "    - {name: worker, type: worker, properties: {image: w}}\n"))
    with_worker = snapshot_digests(h)
    h.submit(app("api:2", limit))
    without_worker = snapshot_digests(h)
    worker_definition = with_worker - without_worker
    assert len(worker_definition) == 1  # the `worker` ComponentDefinition: only revision 1 used it
    assert numbers(h) == [2]
    h.controller.delete(h.record("shop"))
    assert snapshot_digests(h) == set()  # nothing refers to any snapshot any more


def test_a_snapshot_another_application_uses_is_kept(h: Harness) -> None:
    limit = "{applicationRevisionLimit: 0}"
    h.submit(app("api:1", limit))
    other = h.submit(app("api:1").replace("name: shop", "name: other"))
    h.submit(app("api:2", limit))
    h.submit(app("api:3", limit))
    assert numbers(h) == [3]
    assert h.store.revision(other.id, 1).definitions  # its snapshots are all still there


def test_a_negative_limit_is_rejected(h: Harness) -> None:
    with pytest.raises(ValidationError, match="applicationRevisionLimit"):
        render_application(h.app(app("api:1", "{applicationRevisionLimit: -1}")), h.registry)


# --- continueOnFailure ----------------------------------------------------------------------------

V1 = app(
    "api:1",
    components="    - {name: worker, type: worker, properties: {image: w}}\n"
    "    - {name: cache, type: worker, properties: {image: c:1}}\n",
).replace('{image: "api:1"}', '{image: "api:1", ports: [{port: 80, expose: true}]}')


def failing_v2(policy: str) -> str:
    """api delivered without its Service; `broken` is rejected, so `cache` is never reached; worker gone."""
    return app(
        "api:2",
        policy,
        "    - {name: broken, type: worker, properties: {image: b}}\n"
        "    - {name: cache, type: worker, dependsOn: [broken], properties: {image: c:2}}\n",
    )


def test_a_failed_run_prunes_nothing_by_default(h: Harness) -> None:
    h.up(V1)
    h.targets["mem"].reject[BROKEN] = "invalid"
    record = h.up(failing_v2("{continueOnFailure: false}"))
    assert record.phase == Phase.FAILED
    assert {SERVICE, WORKER, CACHE} <= set(h.targets["mem"].objects)


def test_continue_on_failure_prunes_what_the_failed_run_outdated(h: Harness) -> None:
    h.up(V1)
    h.targets["mem"].reject[BROKEN] = "invalid"
    record = h.up(failing_v2("{continueOnFailure: true}"))
    record = h.controller.reconcile(record)
    assert record.phase == Phase.FAILED
    run = h.store.latest_run(record.id)
    assert run is not None and run.phase == RunPhase.FAILED and run.pruned
    objects = h.targets["mem"].objects
    assert SERVICE not in objects  # api was delivered by the failed run: its old Service is outdated
    assert WORKER not in objects  # the component is gone from the application
    assert objects[CACHE]["spec"]["template"]["spec"]["containers"][0]["image"] == "c:1"  # never reached
    assert API in objects


def test_a_revision_an_unfinished_run_delivers_is_never_pruned(h: Harness) -> None:
    record = h.submit(app("api:1"))
    h.store.start_run(record.id, 1, {}, [], h.clock.now())  # still executing
    for i in range(2, 5):
        _, _, run_id = h.store.create_revision("default", "shop", f"d{i}", {}, [], h.clock.now(), {}, [])
        assert run_id is not None
        h.store.update_run(run_id, phase=RunPhase.SUCCEEDED)
    assert h.store.prune_revisions(record.id, keep=0) == [2, 3]
    assert numbers(h) == [1, 4]


def test_an_orphan_propagation_vessel_cannot_honour_is_refused(h: Harness) -> None:
    rules = "{rules: [{selector: {componentNames: [api]}, propagation: PROPAGATION}]}"
    render_application(h.app(app("api:1", rules.replace("PROPAGATION", "cascading"))), h.registry)
    with pytest.raises(ValidationError, match=r"rules\[0\]\.propagation: expected one of 'cascading'"):
        render_application(h.app(app("api:1", rules.replace("PROPAGATION", "orphan"))), h.registry)
