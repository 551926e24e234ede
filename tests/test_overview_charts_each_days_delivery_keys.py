"""The overview's charts (`controller.stats.daily_keys`): each of the last days has the delivery keys of
what finished that day — a deployment counts on the day it succeeded and on no other — the window's keys
are those `vessel stats` gives for it, and only the applications asked for are counted."""

from __future__ import annotations

from pathlib import Path

from vessel.controller.stats import daily_keys, delivery_keys
from vessel.dashboard.overview import charts
from vessel.testing.engine import Harness

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: {name}}}
spec:
  components:
    - {{name: {name}, type: webservice, properties: {{image: "nginx:{tag}"}}}}
"""
DAY = 86400.0


def _deliver(h: Harness, name: str, tag: str, takes: float) -> int:
    record = h.submit(APP.format(name=name, tag=tag))
    h.clock.advance(takes)
    assert h.controller.drive(record).phase == "running"
    return record.id


def test_each_day_counts_what_finished_that_day(tmp_path: Path) -> None:
    h = Harness.create(f"sqlite:///{tmp_path / 'v.db'}")
    web = _deliver(h, "web", "1", takes=60)  # day 0
    h.clock.advance(2 * DAY)
    _deliver(h, "web", "2", takes=120)  # day 2
    api = _deliver(h, "api", "1", takes=30)  # day 2, another application
    h.clock.advance(DAY)  # now: day 3

    keys = daily_keys(h.store, h.clock.now(), 7)
    per_day = [d["deployments"] for d in keys["days"]]
    assert per_day == [0, 0, 0, 1, 0, 2, 0]  # 3 days ago, 1 day ago (the last day ends now)
    assert keys["days"][5]["leadTimeSeconds"] == {"median": 75.0, "p90": 120.0}
    assert keys["window"] == delivery_keys(h.store, h.clock.now(), 7 * DAY)
    only_web = daily_keys(h.store, h.clock.now(), 7, {web})
    assert [d["deployments"] for d in only_web["days"]] == [0, 0, 0, 1, 0, 1, 0]
    assert daily_keys(h.store, h.clock.now(), 7, {api})["window"]["deployments"] == 1

    drawn = charts(keys)
    assert [c.title for c in drawn] == [
        "Deployments",
        "Lead time (median)",
        "Change failure rate",
        "Time to restore (median)",
    ]
    bars = drawn[0].bars
    assert [b.height > 0 for b in bars] == [False, False, False, True, False, True, False]
    assert bars[5].height == 2 * bars[3].height  # scaled to the largest
    assert bars[5].label.endswith(": 2 deployments")
