"""What a long-running process caches stays within its bounds, however many applications, revisions,
definitions, templates and expressions it meets (`vessel run` over 30,000 applications grew to 1.4 GiB
when these were plain dicts and count-only LRUs). Each cache is shrunk to a few entries or bytes here,
then fed far more than that."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from vessel.controller import revisions
from vessel.definitions import JinjaTemplate, slots
from vessel.definitions import expressions as expression_module
from vessel.definitions.limits import DEFAULT_LIMITS
from vessel.definitions.lru import BoundedCache
from vessel.definitions.registry import Registry
from vessel.definitions.worker import Worker
from vessel.definitions.worker_protocol import Job
from vessel.errors import Location
from vessel.model import redaction
from vessel.store import schema
from vessel.testing.engine import Harness


def shrink(monkeypatch: pytest.MonkeyPatch, cache: BoundedCache[Any], entries: int, size: int) -> None:
    cache.clear()
    monkeypatch.setattr(cache, "max_entries", entries)
    monkeypatch.setattr(cache, "max_size", size)


def application(i: int) -> str:
    component = {"name": "web", "type": "webservice", "properties": {"image": f"shop/web:{i}"}}
    return json.dumps(
        {
            "apiVersion": "core.oam.dev/v1beta1",
            "kind": "Application",
            "metadata": {"name": f"app-{i % 5}"},  # 5 applications, each with many revisions
            "spec": {"components": [component]},
        }
    )


def test_the_controller_keeps_a_bounded_number_of_revisions(tmp_path: Path) -> None:
    h = Harness.create(f"sqlite:///{tmp_path / 'store.db'}")
    cache = h.controller.revision_cache
    cache.max_entries = cache.max_size = 3
    for i in range(20):
        h.up(application(i))
    for app in h.store.apps():
        h.controller.reconcile(app)  # reads revisions back: misses are rebuilt from the store
    assert len(cache) <= 3 and cache.info().size <= 3
    assert cache.info().misses > 0  # it did evict, and still served every reconcile
    h.store.close()


def definition_document(i: int) -> dict[str, Any]:
    return {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "TraitDefinition",
        "metadata": {"name": f"t{i}"},
        "spec": {
            "schematic": {"jinja": {"templates": {"kubernetes": f"patch: {{metadata: {{name: n{i}}}}}"}}}
        },
    }


def test_definitions_rebuilt_from_snapshots_stay_within_entries_and_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shrink(monkeypatch, revisions.DEFINITIONS, 4, 10_000)
    for i in range(50):
        revisions.registry_from_snapshot([definition_document(i)], Registry())
    assert len(revisions.DEFINITIONS) <= 4
    shrink(monkeypatch, revisions.DEFINITIONS, 100, 1_000)  # the byte bound binds before the count
    for i in range(50):
        revisions.registry_from_snapshot([definition_document(i)], Registry())
    assert revisions.DEFINITIONS.info().size <= 1_000 and len(revisions.DEFINITIONS) < 50


def test_parsed_skeletons_stay_within_entries_and_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    shrink(monkeypatch, slots.SKELETONS, 1000, 4_000)
    for i in range(200):  # 200 different skeletons of ~100 bytes each
        source = f"k{i}: {{{{ parameter.v }}}}\n" + "".join(f"f{j}: {j}\n" for j in range(10))
        JinjaTemplate(source, "t", Location()).render({"parameter": {"v": i}, "context": {}})
    info = slots.SKELETONS.info()
    assert info.size <= 4_000 and info.entries < 200


def test_compiled_expressions_and_messages_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    shrink(monkeypatch, expression_module.EXPRESSIONS, 8, 1 << 20)
    shrink(monkeypatch, expression_module.MESSAGES, 8, 1 << 20)
    for i in range(100):
        expression_module.expression(f"inputs.x == {i}").evaluate({"inputs": {"x": i}})
        expression_module.message(f"n{i}: {{{{ x }}}}").render({"x": i})
    assert len(expression_module.EXPRESSIONS) <= 8 and len(expression_module.MESSAGES) <= 8


def test_a_worker_keeps_its_compiled_templates_within_their_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    worker = Worker()  # its render loop, in this process: only its cache is exercised here
    shrink(monkeypatch, worker.compiled, 1000, 2_000)
    for i in range(100):
        source = f"{{% for _ in [1] %}}k{i}: {i}{{% endfor %}}" + " " * 50
        worker._compiled(Job(f"t{i}", source, {}, DEFAULT_LIMITS, slots.MARK))
    assert worker.compiled.info().size <= 2_000 and len(worker.compiled) < 100


def test_status_bases_worked_out_for_old_inventory_entries_stay_within_entries_and_bytes(
    tmp_path: Path,
) -> None:
    h = Harness.create(f"sqlite:///{tmp_path / 'store.db'}")
    for i in range(12):  # one namespace each: no two render the same object
        text = application(i).replace('"name": "app-', f'"namespace": "ns-{i}", "name": "app-')
        assert h.up(text.replace(f"app-{i % 5}", f"app-{i}")).phase == "running"
    with h.store.tx() as c:  # recorded before delivery kept a status basis (nor live versions, which
        # came later): one is worked out per pass
        c.execute(sa.update(schema.inventory).values(status_basis=None, live_version=None))
    cache = h.controller.status_bases
    cache.max_entries, cache.max_size = 100, 2_000  # a few bases' worth of bytes
    for app in h.store.apps():
        h.controller.reconcile(app)
    assert 0 < len(cache) < 12 and cache.info().size <= 2_000  # not all twelve: bytes bound it
    assert cache.info().misses >= 12  # every workload got one; old ones were evicted to make room
    h.store.close()


def test_the_secret_values_a_process_knows_stay_bounded_and_the_newest_still_mask(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(redaction, "MAX_VALUES", 8)
    known = redaction.Known()
    known.add(f"secret-value-{i:04d}" for i in range(1000))
    assert len(known._values) == 8
    assert known.redact("got secret-value-0999 and secret-value-0000") == "got *** and secret-value-0000"


def test_reading_yaml_keeps_nothing_of_the_documents_read() -> None:
    """A process reads an Application (and definitions) on every submit: nothing of the YAML nodes it
    parsed may stay behind (a shared scalar constructor once remembered every one of them)."""
    from vessel.model.yaml_source import read_text

    for i in range(50):
        (document,) = read_text(application(i), "app.yaml")
        assert document.data["spec"]["components"][0]["properties"]["image"] == f"shop/web:{i}"
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, yaml.Node)]


def test_revisions_that_use_the_same_definitions_share_one_set_of_them(tmp_path: Path) -> None:
    """Thousands of applications built from the same few definitions hold those once, not once each."""
    h = Harness.create(f"sqlite:///{tmp_path / 'store.db'}")
    for i in range(3):
        text = application(i).replace('"name": "app-', f'"namespace": "ns-{i}", "name": "app-')
        assert h.up(text.replace(f"app-{i % 5}", f"app-{i}")).phase == "running"
    h.restart()  # a new process: every revision is read back from the store
    registries = {id(h.controller.revision_context(a.id, a.revision)[1]) for a in h.store.apps()}
    assert len(registries) == 1 and len(h.controller.registries) == 1
    h.store.close()
