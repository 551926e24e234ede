"""Five `vessel up` of the same new application at once, on SQLite and PostgreSQL: exactly one revision
is created, one process says so and the others see it unchanged, every process reports the outcome of
the one run, and none trips over another (no IntegrityError, no traceback). On a store nobody has opened
yet, the five also migrate it exactly once.

The processes are released together by a barrier, not a timer: each reads its Application from its
own FIFO, so it blocks in `open`/`read` until the test has seen all five waiting there and writes them
all at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROCESSES = 5
APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: race}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "race/api:1"}
"""


def vessel(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vessel", *args], env=env, capture_output=True, text=True, timeout=60
    )


def released_together(env: dict[str, str], tmp_path: Path, *up_args: str) -> list[tuple[int, str, str]]:
    """Start PROCESSES `vessel up` reading FIFOs, release them at once; (exit code, stdout, stderr) each."""
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
        # Opening a FIFO for writing returns once its reader has opened it: when the last open returns,
        # every process is blocked reading. Then all five get the Application at once.
        writers = [os.open(fifo, os.O_WRONLY) for fifo in fifos]
        for fd in writers:
            os.write(fd, APP.encode())
        for fd in writers:
            os.close(fd)
        return [(p.wait(timeout=90), *p.communicate(timeout=10)) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def revisions(env: dict[str, str]) -> list[int]:
    done = vessel(env, "revision", "list", "race", "-o", "json")
    assert done.returncode == 0, done.stderr
    return [r["revision"] for r in json.loads(done.stdout)]


def assert_no_crash(results: list[tuple[int, str, str]]) -> None:
    for code, stdout, stderr in results:
        assert "Traceback" not in stdout + stderr, stderr
        assert "IntegrityError" not in stdout + stderr, stderr
        assert "UniqueViolation" not in stdout + stderr, stderr


def assert_one_created_others_unchanged(results: list[tuple[int, str, str]]) -> None:
    first_lines = sorted(stdout.splitlines()[0] for _, stdout, _ in results)
    assert first_lines == ["race: revision 1 created"] + ["race: unchanged (revision 1)"] * (PROCESSES - 1)


@pytest.mark.timeout(180)
def test_five_concurrent_ups_make_one_revision_and_all_report_it_running(tmp_path: Path, store_url: str) -> None:
    env = {**os.environ, "VESSEL_HOME": str(tmp_path / "home"), "VESSEL_DATABASE_URL": store_url}
    added = vessel(env, "target", "add", "out", "--type", "directory", "--path", str(tmp_path / "out"))
    assert added.returncode == 0, added.stderr

    results = released_together(env, tmp_path)

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
