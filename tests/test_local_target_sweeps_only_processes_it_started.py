"""The local target's sweep of orphaned processes touches only processes Vessel started: a replica that an
apply started but was killed before it recorded is swept by the next apply, while a user's `tail -F` of a
replica log and a shell-like process inside the app's work directory — which name the object's
directory in their command line or working directory — survive it.

The interrupted apply is real: a `vessel`-like process whose Supervisor.start is wrapped to SIGKILL the
process itself right after the replica started, before the state could record it."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from vessel.model.resource_key import ResourceKey
from vessel.targets.local import LocalTarget
from vessel.targets.protocol import TargetInfo

INTERRUPTED_APPLY = """
import json, os, signal, sys
from vessel.targets.local import LocalTarget
from vessel.targets.local.supervisor import Supervisor
from vessel.targets.protocol import TargetInfo

started = Supervisor.start

def start_then_die(self, proc, launch, token):
    started(self, proc, launch, token)
    print(proc.pid, flush=True)  # the replica runs; nothing has recorded it yet
    os.kill(os.getpid(), signal.SIGKILL)

Supervisor.start = start_then_die
LocalTarget(TargetInfo("laptop", "local", config=json.loads(sys.argv[1]))).apply(json.loads(sys.argv[2]))
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rpartition(b")")[2].split()[0]
    except OSError:
        return False
    return state not in (b"Z", b"X")


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s")
        time.sleep(0.02)
    return value


@pytest.fixture
def users(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a user started by hand; killed at the end, whatever happened."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        with contextlib.suppress(OSError):
            proc.kill()
        proc.wait()


def test_an_orphan_is_swept_while_a_users_tail_and_shell_in_the_app_directory_survive(
    tmp_path: Path, users: list[subprocess.Popen[bytes]]
) -> None:
    config = {"path": str(tmp_path / "state"), "ports": "23900-23949", "grace": 0.5}
    obj = {
        "apiVersion": "local.vessel.dev/v1",
        "kind": "Service",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "labels": {"app.oam.dev/name": "hello", "app.oam.dev/component": "web"},
        },
        "spec": {
            "minReadySeconds": 0,
            "template": {
                "spec": {"containers": [{"name": "web", "command": [sys.executable, "-c", SLEEPER]}]}
            },
        },
    }
    crashed = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_APPLY, json.dumps(config), json.dumps(obj)],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    orphan = int(crashed.stdout)
    assert alive(orphan)

    directory = tmp_path / "state" / "default" / "hello" / "web"
    log = directory / "logs" / "web-0.log"
    wait_for(log.exists)
    tail = subprocess.Popen(["tail", "-F", str(log)], stdout=subprocess.DEVNULL, start_new_session=True)
    shell = subprocess.Popen(["sleep", "60"], cwd=directory / "work", start_new_session=True)
    users += [tail, shell]
    wait_for(lambda: str(log).encode() in Path(f"/proc/{tail.pid}/cmdline").read_bytes())

    target = LocalTarget(TargetInfo("laptop", "local", config=config))
    try:
        result = target.apply(obj)
        assert not alive(orphan)  # swept before the apply went on
        assert [a.reason for a in result.actions] == ["Swept"]
        assert tail.poll() is None and shell.poll() is None  # the user's processes are untouched
        (process,) = result.live["status"]["processes"]
        assert process["pid"] != orphan and alive(process["pid"])
        again = target.apply(obj)
        assert again.actions == () and tail.poll() is None and shell.poll() is None
    finally:
        target.delete(ResourceKey.of(obj))
    assert tail.poll() is None and shell.poll() is None


SLEEPER = "import time\nwhile True: time.sleep(1)"
