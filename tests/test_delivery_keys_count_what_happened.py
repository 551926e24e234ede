"""The four delivery keys are computed from what happened, on a real store with a fake clock:
deployments (and per day), lead time from a revision's creation to its success, the change failure rate
(a change that failed, or succeeded and was rolled back, over all changes — restarts and rollbacks are
no changes), and time to restore from failed or unhealthy to running. A window that ends before they
happened counts none of them."""

from __future__ import annotations

import time
from pathlib import Path

from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.controller.stats import delivery_keys
from vessel.model.resource_key import ResourceKey
from vessel.store.connect import default_url
from vessel.testing.engine import Harness

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: web}}
spec:
  components:
    - {{name: web, type: webservice, properties: {{image: "nginx:{tag}"}}}}
"""
DEPLOYMENT = ResourceKey("apps/v1", "Deployment", "default", "web")
DAY = 86400.0


def _deliver(h: Harness, tag: str, takes: float) -> str:
    record = h.submit(APP.format(tag=tag))
    h.clock.advance(takes)
    return h.controller.drive(record).phase


def test_the_keys_follow_what_happened(tmp_path: Path) -> None:
    h = Harness.create(f"sqlite:///{tmp_path / 'v.db'}")
    assert _deliver(h, "1", takes=60) == "running"  # change 1: deployed, lead time 60 s
    h.targets["mem"].reject[DEPLOYMENT] = "refused"
    assert _deliver(h, "2", takes=10) == "workflowFailed"  # change 2: failed
    del h.targets["mem"].reject[DEPLOYMENT]
    assert _deliver(h, "3", takes=30) == "running"  # change 3: deployed, lead 30 s; restored after 30 s
    h.clock.advance(100)
    h.controller.restart(h.record("web"))  # no change
    h.controller.drive(h.record("web"))
    h.controller.rollback(h.record("web"), 1)  # no change, but change 3 was rolled back (not 2:
    assert h.controller.drive(h.record("web")).phase == "running"  # 3 had replaced it by then)

    keys = delivery_keys(h.store, h.clock.now(), 30 * DAY)
    assert (keys["changes"], keys["deployments"], keys["failedChanges"]) == (3, 2, 2)
    assert keys["changeFailureRate"] == 0.667
    assert keys["deploymentsPerDay"] == round(2 / 30, 3)
    assert keys["leadTimeSeconds"] == {"median": 45.0, "p90": 60.0}
    assert (keys["restores"], keys["timeToRestoreSeconds"]) == (1, {"median": 30.0, "p90": 30.0})

    web = h.record("web").id
    assert delivery_keys(h.store, h.clock.now(), 30 * DAY, web)["changes"] == 3
    later = delivery_keys(h.store, h.clock.now() + 2 * DAY, DAY)  # a window after all of it
    assert (later["changes"], later["deployments"], later["restores"], later["changeFailureRate"]) == (
        0,
        0,
        0,
        None,
    )


def test_vessel_stats_prints_them() -> None:
    h = Harness.create(default_url())  # the store the CLI opens (VESSEL_HOME)
    h.clock.current = time.time() - 3600  # an hour ago: within the CLI's window, on its real clock
    assert _deliver(h, "1", takes=60) == "running"
    shown = CliRunner().invoke(cli, ["stats", "-o", "json"])
    assert shown.exit_code == 0, shown.output
    assert '"deployments": 1' in shown.stdout
    table = CliRunner().invoke(cli, ["stats", "web"])
    assert table.exit_code == 0 and "lead time" in table.stdout
    wrong = CliRunner().invoke(cli, ["stats", "--since", "soon"])
    assert wrong.exit_code == 1 and "--since" in wrong.stderr
