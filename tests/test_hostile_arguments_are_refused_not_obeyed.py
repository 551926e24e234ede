"""Command-line arguments that cannot be meant are refused with one clear error, before anything is stored
or started: a target named `../evil`, `vessel run --interval -1` (it spun a core), a FIFO given to `-f`
(the command blocked forever; the real `vessel` runs here, since that is where a person would wait)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli

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


@pytest.mark.parametrize("option", ["-f", "--definitions"])
def test_a_fifo_is_refused_at_once_not_read_forever(tmp_path: Path, option: str) -> None:
    (tmp_path / "defs").mkdir()
    fifo = tmp_path / "defs" / "app.yaml"
    os.mkfifo(fifo)
    app = tmp_path / "real.yaml"
    app.write_text(
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: x}\nspec: {components: []}\n"
    )
    args = ["-f", str(fifo)] if option == "-f" else ["-f", str(app), "--definitions", str(fifo.parent)]
    env = {**os.environ, "VESSEL_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "vessel"), "dry-run", *args],
        capture_output=True,
        text=True,
        timeout=20,
        env=env,
    )
    assert proc.returncode == 1, proc.stderr
    assert f"{fifo}: not a regular file (a FIFO): give the path of a YAML file" in proc.stderr
