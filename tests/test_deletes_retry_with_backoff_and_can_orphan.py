"""Deleting an application whose target fails: each failed delete is retried with the backoff delivery
uses (kept in the store, so any process honours it), events record changes of state — not attempts —
and `vessel delete --orphan` lets go of what is on a target that is gone, naming each resource and why.
On a terminal `vessel delete` asks first; `-y` does not."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from vessel.cli.main import app as cli
from vessel.controller.controller import Controller
from vessel.store.records import AppRecord
from vessel.targets import factory
from vessel.targets.protocol import TargetInfo
from vessel.testing.engine import Harness
from vessel.workflow import backoff

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - {name: api, type: webservice, properties: {image: "shop/api:1"}}
    - {name: worker, type: worker, properties: {image: "shop/worker:1"}}
"""


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def reasons(h: Harness, app: AppRecord) -> list[str]:
    return [e.reason for e in h.store.events(app.id)]


def test_a_failing_delete_backs_off_like_delivery_with_one_event_per_change_of_state(h: Harness) -> None:
    app = h.up(APP)
    entries = len(h.store.inventory(app.id))
    h.targets["mem"].unavailable = True
    waits = []
    for attempt in range(1, 6):
        assert h.controller.delete(app) is False
        assert h.controller.delete(app) is False  # asked again before it is due: no attempt
        [due] = {e.next_attempt_at for e in h.store.inventory(app.id)}
        assert {e.errors for e in h.store.inventory(app.id)} == {attempt}
        assert due is not None
        waits.append(due - h.clock.now())
        h.clock.advance(due - h.clock.now())
    assert waits == [backoff.delay(n) for n in range(1, 6)] == [1, 2, 4, 8, 16]
    assert reasons(h, app).count("DeleteFailed") == entries  # one per resource, not one per attempt
    assert reasons(h, app).count("Delete") == 1
    record = h.store.app_by_id(app.id)
    assert record.phase == "deleting" and "target 'mem' is unreachable (attempt 5)" in record.message

    h.targets["mem"].unavailable = False
    assert h.controller.delete(app) is True  # due now: deleted at last
    assert h.store.app("default", "shop") is None and h.targets["mem"].objects == {}


def test_the_backoff_is_kept_in_the_store_so_another_process_honours_it(h: Harness) -> None:
    app = h.up(APP)
    h.targets["mem"].unavailable = True
    assert h.controller.delete(app) is False
    other = Controller(h.store, clock=h.clock, registry=h.registry, owner="other")
    h.targets["mem"].unavailable = False
    assert other.reconcile(h.store.app_by_id(app.id)).deleting  # not due yet: not attempted
    assert len(h.store.inventory(app.id)) == 2
    h.clock.advance(backoff.delay(1))
    other.reconcile(h.store.app_by_id(app.id))  # the steady-state loop goes on with the delete
    assert h.store.app("default", "shop") is None and h.targets["mem"].objects == {}


runner = CliRunner()


def vessel(*args: str) -> Result:
    return runner.invoke(cli, list(args))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    factory.reset_memory_targets()
    yield tmp_path
    factory.reset_memory_targets()


def test_an_application_whose_target_is_gone_is_deleted_with_orphan_naming_what_was_left(home: Path) -> None:
    assert vessel("target", "add", "mem", "--type", "memory", "--default").exit_code == 0
    (home / "app.yaml").write_text(APP)
    assert vessel("up", "-f", str(home / "app.yaml")).exit_code == 0
    factory.memory_target(TargetInfo("mem", "memory")).unavailable = True

    stuck = vessel("delete", "shop", "--no-wait")
    assert stuck.exit_code == 1
    assert "cannot delete Deployment.apps/v1 default/api on mem: target 'mem' is unreachable" in stuck.stderr
    assert "still deleting, 2 resource(s) left" in stuck.stderr and "--orphan" in stuck.stderr

    orphaned = vessel("delete", "shop", "--orphan")
    assert orphaned.exit_code == 0, orphaned.output
    for name in ("api", "worker"):
        line = f"left Deployment.apps/v1 default/{name} on mem in place: target 'mem' is unreachable"
        assert line in orphaned.stdout
    assert "shop deleted" in orphaned.stdout
    assert json.loads(vessel("ls", "-o", "json").stdout) == []


def test_orphan_still_deletes_what_it_can(home: Path) -> None:
    assert vessel("target", "add", "mem", "--type", "memory", "--default").exit_code == 0
    (home / "app.yaml").write_text(APP)
    assert vessel("up", "-f", str(home / "app.yaml")).exit_code == 0
    orphaned = vessel("delete", "shop", "--orphan")
    assert orphaned.exit_code == 0 and "left" not in orphaned.stdout
    assert factory.memory_target(TargetInfo("mem", "memory")).objects == {}


def _read(fd: int, until: bytes | None = None) -> bytes:
    """What the terminal shows, up to `until` (or until the process is gone and the terminal closed)."""
    seen = b""
    while until is None or until not in seen:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: nothing holds the other end any more
            break
        if not chunk:
            break
        seen += chunk
    return seen


def _on_a_terminal(home: Path, *args: str, answer: bytes | None) -> tuple[int, str]:
    """Run `vessel` with stdin and stdout on a pseudo-terminal; answer its prompt with `answer`."""
    main, child = pty.openpty()
    env = {**os.environ, "VESSEL_HOME": str(home / "home")}
    command = [sys.executable, "-m", "vessel", *args]
    proc = subprocess.Popen(command, env=env, stdin=child, stdout=child, stderr=child)
    os.close(child)
    try:
        seen = _read(main, until=b"[y/N]")
        if b"[y/N]" in seen and answer is None:
            proc.kill()  # it asked when it should not have: do not wait for an answer that never comes
        elif answer is not None:
            os.write(main, answer)
            seen += _read(main)
        return proc.wait(timeout=60), seen.decode(errors="replace")
    finally:
        os.close(main)


@pytest.mark.timeout(120)
def test_delete_asks_on_a_terminal_and_not_with_yes(home: Path) -> None:
    out = home / "out"
    assert (
        vessel("target", "add", "out", "--type", "directory", "--path", str(out), "--default").exit_code == 0
    )
    (home / "app.yaml").write_text(APP)
    assert vessel("up", "-f", str(home / "app.yaml")).exit_code == 0

    code, shown = _on_a_terminal(home, "delete", "shop", answer=b"n\n")
    assert "Delete application default/shop and the 2 resource(s) it delivered on out?" in shown
    assert code == 1 and "default/shop not deleted" in shown
    assert (out / "default/deployment.apps/api.yaml").exists()

    code, shown = _on_a_terminal(home, "delete", "shop", "-y", answer=None)
    assert code == 0 and "[y/N]" not in shown and "shop deleted" in shown
    assert not (out / "default/deployment.apps/api.yaml").exists()
