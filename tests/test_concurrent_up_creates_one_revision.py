"""Five `vessel up` of the same new application at once, on SQLite and PostgreSQL: exactly one revision
is created, one process says so and the others see it unchanged, every process reports the outcome of
the one run, and none trips over another (no IntegrityError, no traceback). On a store nobody has opened
yet, the five also migrate it exactly once.

The processes are released together by a barrier, not a timer: each reads its Application from its
own FIFO, so it blocks in `open`/`read` until the test has seen all five waiting there and writes them
all at once. On PostgreSQL a second barrier sits right where submits race: the test holds a lock on the
applications table until it sees all five processes waiting for it (in pg_locks), then lets them go
together."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from vessel.store.store import Store
from vessel.testing.engine import Harness

PROCESSES = 5
APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: race}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "race/api:1", cmd: [sleep, "60"]}  # it must be able to run on the local target
"""


def vessel(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vessel", *args], env=env, capture_output=True, text=True, timeout=60
    )


def released_together(
    env: dict[str, str], tmp_path: Path, *up_args: str, then: Callable[[], None] = lambda: None
) -> list[tuple[int, str, str]]:
    """Start PROCESSES `vessel up` reading FIFOs, release them at once, call `then`; (exit code, stdout,
    stderr) of each."""
    fifos = [tmp_path / f"app-{i}.yaml" for i in range(PROCESSES)]
    for fifo in fifos:
        os.mkfifo(fifo)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "vessel", "up", *up_args, "-f", str(fifo)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for fifo in fifos
    ]
    try:
        # A FIFO opens for writing once its reader has opened it: when the last one is open, every
        # process is blocked reading. Then all five get the Application at once.
        writers = [open_when_read(fifo, proc) for fifo, proc in zip(fifos, procs, strict=True)]
        for fd in writers:
            os.write(fd, APP.encode())
        for fd in writers:
            os.close(fd)
        then()
        results = []
        for p in procs:
            stdout, stderr = p.communicate(timeout=90)
            results.append((p.returncode, stdout, stderr))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def open_when_read(fifo: Path, proc: subprocess.Popen[str]) -> int:
    """The FIFO's write end, once `proc` has opened it for reading; fails at once if `proc` died first."""
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO until a reader has it open
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
            assert proc.poll() is None, f"vessel up exited before reading its file: {proc.communicate()}"
            time.sleep(0.01)
            continue
        os.set_blocking(fd, True)
        return fd


@contextmanager
def submits_held(store_url: str) -> Iterator[Callable[[], None]]:
    """On PostgreSQL: hold the applications table (no insert, no row lock) and give a function that
    waits until PROCESSES backends are queued behind it, then lets them all go. On SQLite: nothing."""
    if not store_url.startswith("postgresql"):
        yield lambda: None
        return
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("LOCK TABLE applications IN EXCLUSIVE MODE")

            def release_when_all_wait() -> None:
                waiting = (
                    "SELECT count(*) FROM pg_locks WHERE relation = 'applications'::regclass AND NOT granted"
                )
                deadline = time.monotonic() + 60
                while conn.exec_driver_sql(waiting).scalar() < PROCESSES:
                    assert time.monotonic() < deadline, "the processes never reached the submit"
                    time.sleep(0.02)
                conn.commit()

            yield release_when_all_wait
    finally:
        engine.dispose()


def revisions(env: dict[str, str]) -> list[int]:
    done = vessel(env, "revision", "list", "race", "-o", "json")
    assert done.returncode == 0, done.stderr
    return [r["revision"] for r in json.loads(done.stdout)]


def assert_no_crash(results: list[tuple[int, str, str]]) -> None:
    for _, stdout, stderr in results:
        assert "Traceback" not in stdout + stderr, stderr
        assert "IntegrityError" not in stdout + stderr, stderr
        assert "UniqueViolation" not in stdout + stderr, stderr


def assert_one_created_others_unchanged(results: list[tuple[int, str, str]]) -> None:
    first_lines = sorted((stdout.splitlines() or [stderr])[0] for _, stdout, stderr in results)
    assert first_lines == ["race: revision 1 created"] + ["race: unchanged (revision 1)"] * (PROCESSES - 1)


@pytest.mark.timeout(180)
def test_five_concurrent_ups_make_one_revision_and_all_report_it_running(
    tmp_path: Path, store_url: str
) -> None:
    env = {**os.environ, "VESSEL_HOME": str(tmp_path / "home"), "VESSEL_DATABASE_URL": store_url}
    added = vessel(
        env, "target", "add", "out", "--type", "directory", "--path", str(tmp_path / "out"), "--default"
    )
    assert added.returncode == 0, added.stderr

    with submits_held(store_url) as release:
        results = released_together(env, tmp_path, then=release)

    assert_no_crash(results)
    assert_one_created_others_unchanged(results)
    for code, stdout, stderr in results:  # every process watched the one run to its end
        assert code == 0, stdout + stderr
        assert stdout.splitlines()[-1] == "race is running (revision 1)", stdout
    assert revisions(env) == [1]


@pytest.mark.timeout(180)
def test_five_concurrent_ups_on_a_store_nobody_opened_yet(tmp_path: Path, store_url: str) -> None:
    env = {**os.environ, "VESSEL_HOME": str(tmp_path / "home"), "VESSEL_DATABASE_URL": store_url}

    results = released_together(env, tmp_path, "--no-wait")

    assert_no_crash(results)
    assert_one_created_others_unchanged(results)
    assert [code for code, _, _ in results] == [0] * PROCESSES
    assert revisions(env) == [1]


def test_a_revision_is_stored_with_its_run_or_not_at_all(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoever finds the revision finds its run: a failure while starting the run stores neither, so
    the next submit creates the revision again instead of finding it "unchanged" with nothing to run."""
    h = Harness.create(store_url)
    try:

        def fail(*_: object) -> int:
            raise RuntimeError("crash between storing the revision and starting its run")

        monkeypatch.setattr(Store, "_insert_run", fail)
        with pytest.raises(RuntimeError):
            h.submit(APP)
        monkeypatch.undo()
        again = h.controller.submit(h.app(APP), h.registry)
        assert again.revision == 1 and again.run_id is not None
        assert h.store.latest_run(again.app.id) is not None
    finally:
        h.store.close()
