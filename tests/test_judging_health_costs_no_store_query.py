"""Judging health in the steady state asks the store nothing: a full reconcile pass (one that judges
health: here the live versions are forgotten before each, so no object is known to be up to date)
reads each application's latest run and its inventory and records the versions it found — three
statements — whatever status rules its components and traits have (reading parameters and outputs),
also for workloads recorded before delivery kept their status basis (one is worked out once per
revision and cached). A pass that finds every version recorded asks even less
(test_a_steady_pass_reads_the_store_in_a_few_queries.py)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from vessel.store import Phase
from vessel.store import schema as t
from vessel.testing.engine import Harness

RULED = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: NAME, namespace: NAME}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: "shop/web:1", ports: [{port: 80}]}
      traits:
        - {type: gateway, properties: {domain: shop.example.com, http: {"/": 80}}}
        - {type: expose, properties: {ports: [{port: 80}]}}
"""
APPS = 3


def statements_per_pass(h: Harness) -> int:
    with h.store.tx() as c:  # as recorded before Vessel kept live versions: every object is judged
        c.execute(sa.update(t.inventory).values(live_version=None))
    before = h.store.statements
    apps = h.controller.reconcile_all()
    assert {a.phase for a in apps} == {Phase.RUNNING}, [a.message for a in apps]
    return h.store.statements - before


def per_app(tmp_path: Path, text: str, *, forget_bases: bool = False) -> int:
    """SQL statements a warm reconcile pass makes per application, from passes over 1 and over 1+APPS."""
    h = Harness.create(f"sqlite:///{tmp_path / f'{forget_bases}.db'}")
    try:
        counts = []
        for first, count in ((0, 1), (1, APPS)):
            for i in range(first, first + count):
                h.up(text.replace("NAME", f"app-{i}"))
            if forget_bases:  # as recorded before Vessel kept a status basis with the workload
                with h.store.tx() as c:
                    c.execute(sa.update(t.inventory).values(status_basis=None))
            statements_per_pass(h)  # warm: revisions cached, as in a long-running controller
            counts.append(statements_per_pass(h))
        return (counts[1] - counts[0]) // APPS
    finally:
        h.store.close()


READS_PER_APP = 3  # its latest run, its inventory; then the live versions it found are recorded


def test_status_rules_of_components_and_traits_add_no_store_query(tmp_path: Path) -> None:
    assert per_app(tmp_path, RULED) == READS_PER_APP
    assert per_app(tmp_path, RULED, forget_bases=True) == READS_PER_APP
