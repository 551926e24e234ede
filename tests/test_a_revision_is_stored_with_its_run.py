"""A revision and its workflow run are stored together: `vessel up` killed the moment its revision was
stored still leaves a run to drive, so the next `vessel up` — which finds the spec unchanged and stores
nothing — delivers it. (Stored in two transactions, the revision could exist without a run, and every
later `vessel up` said "unchanged" and exited 1 with "no workflow run yet".)"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
from pathlib import Path

from kill_points import Events, StopAt, VesselProcess, next_event, register_directory_target

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - {name: api, type: webservice, properties: {image: "api:1"}}
"""
STORED = StopAt("vessel.store.store:Store.create_revision", when="result[1] is not None")  # committed


def test_killed_right_after_storing_the_revision_the_next_up_delivers_it(tmp_path: Path) -> None:
    home, out, app = tmp_path / "home", tmp_path / "out", tmp_path / "app.yaml"
    env = {**os.environ, "VESSEL_HOME": str(home), "VESSEL_LEASE_SECONDS": "0.5"}
    env.pop("VESSEL_DATABASE_URL", None)
    register_directory_target(home, out)
    app.write_text(APP)

    events: Events = queue.Queue()
    up = VesselProcess(env, ("up", "-f", str(app)), events, STORED)
    assert next_event(events) == ("stopped", STORED.point)
    up.kill()
    delivered = out / "default" / "deployment.apps" / "api.yaml"
    assert not delivered.exists(), "killed before its workflow ran: nothing can have been delivered yet"

    again = subprocess.run(
        [sys.executable, "-m", "vessel", "up", "-f", str(app)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "unchanged (revision 1)" in again.stdout and "shop is running (revision 1)" in again.stdout
    assert delivered.exists()
