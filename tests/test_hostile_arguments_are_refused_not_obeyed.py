"""Command-line arguments that cannot be meant are refused with one clear error, before anything is stored
or started: a target named `../evil`, `vessel run --interval -1` (it spun a core), a FIFO given to `-f`
that nobody writes to (the command blocked forever in `open`; now it gives up after 10 s of silence — the
real `vessel` runs here, since that is where a person would wait)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.definitions.registry import load_path
from vessel.errors import ParseError
from vessel.model import input_bytes
from vessel.model.yaml_source import read_file

runner = CliRunner()


def vessel(*args: str) -> Any:
    return runner.invoke(cli, list(args))


@pytest.mark.parametrize("name", ["../evil", "a/b", "..", "Evil", "x" * 254, "nul\0name"])
def test_a_target_name_that_is_no_kubernetes_name_is_refused_and_not_stored(
    tmp_path: Path, name: str
) -> None:
    added = vessel("target", "add", name, "--type", "directory", "--path", str(tmp_path / "out"))
    assert added.exit_code == 1, added.output
    assert "target name:" in added.output and "is not a DNS-1123 subdomain" in added.output
    listed = vessel("target", "list", "-o", "json")
    assert listed.exit_code == 0 and '"out"' not in listed.output and "evil" not in listed.output


@pytest.mark.parametrize("interval", ["-1", "0", "nan", "inf"])
def test_vessel_run_refuses_an_interval_that_would_spin_or_never_wake(interval: str) -> None:
    result = vessel("run", "--once", "--interval", interval)
    assert result.exit_code == 1, result.output
    assert f"--interval: {interval} is not a number of seconds from 0.1 to 86400" in result.output


def test_a_fifo_nobody_writes_to_is_an_error_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "app.yaml"
    os.mkfifo(fifo)
    env = {**os.environ, "VESSEL_HOME": str(tmp_path / "home")}
    started = time.monotonic()
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "vessel"), "up", "-f", str(fifo)],
        capture_output=True,
        text=True,
        timeout=45,
        env=env,
    )
    assert proc.returncode == 1, proc.stderr
    assert f"{fifo}: nothing was written to it for 10s (a FIFO no process writes to?)" in proc.stderr
    assert time.monotonic() - started < 40


def test_a_silent_fifo_among_definitions_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(input_bytes, "STREAM_IDLE_SECONDS", 0.2)
    os.mkfifo(tmp_path / "extra.yaml")
    with pytest.raises(ParseError, match=r"extra.yaml: nothing was written to it for 0.2s"):
        load_path(tmp_path)


def test_a_fifo_that_is_written_to_is_read(tmp_path: Path) -> None:
    """Process substitution (`vessel up -f <(helm template …)`) keeps working."""
    fifo = tmp_path / "app.yaml"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "w") as out:
            time.sleep(0.2)
            out.write("a: 1\n")

    writer = threading.Thread(target=write)
    writer.start()
    (doc,) = read_file(str(fifo))
    writer.join()
    assert doc.data == {"a": 1}
