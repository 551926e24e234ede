"""Deleting an application on the local target leaves no process of it alive — whatever its processes did
to get away: a child in a session of its own (`setsid`), a daemon that double-forked, left its process
group and scrubbed its whole environment, and a replica started by a `vessel up` that was SIGKILLed
before it could record it. Both ways Vessel tracks a replica are run: a cgroup v2 per replica (where the
machine allows it) and, without one, the shim as a child subreaper.

The crash is aimed, never timed: `vessel up` stops right after `Supervisor.start` returned (the replica
provably runs; nothing has recorded it yet) and is SIGKILLed there (see kill_points.py). Every process a
replica starts carries the test's temporary directory in its command line, so /proc shows whatever is
left, and the fixture kills it whatever happened."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import pytest

from kill_points import Events, StopAt, VesselProcess, next_event
from vessel.errors import TargetUnavailableError
from vessel.model.resource_key import ResourceKey
from vessel.store.store import Store
from vessel.targets.local import LocalTarget, cgroups
from vessel.targets.protocol import TargetInfo

# A replica with a family: a child in a session of its own, and a daemon (forked twice, its parent gone,
# in a session of its own) that replaced its whole environment with nothing. Each names the marker.
FAMILY = r"""
import os, subprocess, sys, time
marker = sys.argv[1]
sleeper = "import time; time.sleep(300)"
subprocess.Popen([sys.executable, "-c", sleeper, marker], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execve(sys.executable, [sys.executable, "-c", sleeper, marker], {})
    os._exit(0)
os.wait()
time.sleep(300)
"""
APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: family}
spec:
  components:
    - name: family
      type: worker
      properties: {image: unused, cmd: [%s, %s, %s]}
"""
STARTED = StopAt("vessel.targets.local.supervisor:Supervisor.start")  # it runs; nothing recorded it yet
TRACKING = ["cgroup", "subreaper"]


def config(tmp: Path, tracking: str) -> dict[str, Any]:
    if tracking == "cgroup" and cgroups.place() is None:
        pytest.skip("this machine does not let Vessel create cgroups")
    return {"path": str(tmp / "state"), "ports": "24100-24199", "grace": 0.5, "cgroups": tracking == "cgroup"}


def living(marker: Path) -> list[int]:
    """Live processes whose command line mentions `marker` (zombies excluded)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            state = Path(f"/proc/{entry}/stat").read_bytes().rpartition(b")")[2].split()[0]
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if state not in (b"Z", b"X") and str(marker).encode() in cmdline:
            found.append(int(entry))
    return found


def environ(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None


def family_up(marker: Path, ignoring: Collection[int] = ()) -> list[int]:
    """The family's pids once all four run — shim, replica, session child, and the daemon with no
    environment left (it has exec'd) — else []; `ignoring` processes of an earlier family."""
    pids = [p for p in living(marker) if p not in ignoring]
    scrubbed = [p for p in pids if environ(p) == b""]
    return pids if len(pids) == 4 and len(scrubbed) == 1 else []


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s")
        time.sleep(0.02)
    return value


@pytest.fixture
def marker(tmp_path: Path) -> Iterator[Path]:
    """A directory named in the command line of every process of the family; they are SIGKILLed at the
    end, whatever happened."""
    marker = tmp_path / "family"
    marker.mkdir()
    (marker / "replica.py").write_text(FAMILY)
    yield marker
    for pid in living(marker):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def family(marker: Path, **env: str) -> dict[str, Any]:
    container = {
        "name": "family",
        "command": [sys.executable, str(marker / "replica.py"), str(marker)],
        "env": [{"name": k, "value": v} for k, v in env.items()],
    }
    return {
        "apiVersion": "local.vessel.dev/v1",
        "kind": "Service",
        "metadata": {
            "name": "family",
            "namespace": "default",
            "labels": {"app.oam.dev/name": "family", "app.oam.dev/component": "family"},
        },
        "spec": {"minReadySeconds": 0, "template": {"spec": {"containers": [container]}}},
    }


@pytest.mark.parametrize("tracking", TRACKING)
def test_delete_after_up_was_killed_mid_start_leaves_no_process(
    tmp_path: Path, marker: Path, tracking: str
) -> None:
    home, app = tmp_path / "home", tmp_path / "app.yaml"
    env = {**os.environ, "VESSEL_HOME": str(home)}
    env.pop("VESSEL_DATABASE_URL", None)
    register_local_target(home, config(tmp_path, tracking))
    app.write_text(APP % (sys.executable, marker / "replica.py", marker))

    events: Events = queue.Queue()
    up = VesselProcess(env, ("up", "-f", str(app)), events, STARTED)
    assert next_event(events) == ("stopped", STARTED.point)
    wait_for(lambda: family_up(marker))  # the replica runs and has started its family
    up.kill()

    deleted = subprocess.run(
        [sys.executable, "-m", "vessel", "delete", "family", "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert living(marker) == []


@pytest.mark.parametrize("tracking", TRACKING)
def test_a_replacing_apply_and_delete_leave_no_process_of_a_replica_family(
    tmp_path: Path, marker: Path, tracking: str
) -> None:
    target = LocalTarget(TargetInfo("laptop", "local", config=config(tmp_path, tracking)))
    target.apply(family(marker, ROUND="1"))
    first = wait_for(lambda: family_up(marker))

    target.apply(family(marker, ROUND="2"))  # the env changed: the replica is replaced
    second = wait_for(lambda: family_up(marker))
    assert not set(first) & set(second)
    assert not set(first) & set(living(marker))

    assert target.delete(ResourceKey.of(family(marker)))
    assert living(marker) == []


def register_local_target(home: Path, settings: dict[str, Any]) -> None:
    """What `vessel target add procs --type local --config ...` stores (the default target)."""
    home.mkdir(parents=True, exist_ok=True)
    store = Store.open(f"sqlite:///{home / 'vessel.db'}")
    try:
        store.add_target(TargetInfo("procs", "local", {}, settings), default=True, now=time.time())
    finally:
        store.close()


def recorded(tmp: Path) -> dict[str, Any]:
    state = json.loads((tmp / "state" / "default" / "family" / "family" / "state.json").read_text())
    replica: dict[str, Any] = state["replicas"][0]
    return replica


@pytest.mark.parametrize("tracking", TRACKING)
def test_a_replica_whose_shim_was_killed_leaves_nothing_its_cgroup_or_token_finds(
    tmp_path: Path, marker: Path, tracking: str
) -> None:
    target = LocalTarget(TargetInfo("laptop", "local", config=config(tmp_path, tracking)))
    target.apply(family(marker, ROUND="1"))
    first = wait_for(lambda: family_up(marker))
    daemon = next(p for p in first if environ(p) == b"")
    shim = recorded(tmp_path)["pgid"]
    os.kill(shim, signal.SIGKILL)  # its tree is re-parented away
    wait_for(lambda: shim not in living(marker))

    # With a cgroup, nothing can get away. Without one, what kept the launch token in its environment
    # is found by it; a daemon that scrubbed its environment after its shim was killed is the fallback's
    # documented limit.
    escaped = [] if tracking == "cgroup" else [daemon]
    target.apply(family(marker, ROUND="2"))  # replaces the replica: its old incarnation ends
    second = wait_for(lambda: family_up(marker, ignoring=escaped))
    assert sorted(set(first) & set(living(marker))) == escaped
    assert target.delete(ResourceKey.of(family(marker)))
    assert living(marker) == escaped
    assert not set(second) & set(living(marker))


def test_delete_names_the_processes_it_could_not_end_and_keeps_the_state_for_the_retry(
    tmp_path: Path, marker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = LocalTarget(TargetInfo("laptop", "local", config=config(tmp_path, "subreaper")))
    target.apply(family(marker))
    wait_for(lambda: family_up(marker))
    token = recorded(tmp_path)["token"]
    # A process of the replica's that got away from its shim (carrying the launch token) and that
    # SIGKILL does not end (as one stuck in the kernel would not): Vessel's kill does not reach it.
    stray = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(300)", str(marker)],
        env={**os.environ, "VESSEL_LAUNCH": token},
        start_new_session=True,
    )
    real_kill = os.kill
    monkeypatch.setattr(os, "kill", lambda pid, sig: None if pid == stray.pid else real_kill(pid, sig))
    monkeypatch.setattr("vessel.targets.local.orphans.KILL_TIMEOUT", 0.5)
    key = ResourceKey.of(family(marker))
    try:
        said = f"{key} on target 'laptop' is not deleted: process(es) {stray.pid} did not end"
        with pytest.raises(TargetUnavailableError, match=re.escape(said)):
            target.delete(key)
        assert target.get(key) is not None  # kept: the delete is not done
        monkeypatch.setattr(os, "kill", real_kill)
        assert target.delete(key)
        assert stray.wait(timeout=10) == -signal.SIGKILL
        assert living(marker) == []
    finally:
        with contextlib.suppress(OSError):
            real_kill(stray.pid, signal.SIGKILL)
        stray.wait()
