"""Shell completion works in the shells people use: the script `vessel --show-completion` prints, sourced in
a real bash (and zsh, where installed), completes commands, option values and application names from
the store — and a Tab press with no store yet completes nothing and creates none."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli

BIN = Path(sys.executable).parent
APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: %s}
spec:
  components:
    - {name: %s, type: webservice, properties: {image: "shop/api:1"}}
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    runner = CliRunner()
    target = ["target", "add", "out", "--type", "directory", "--path", str(tmp_path / "out"), "--default"]
    assert runner.invoke(cli, target).exit_code == 0
    for name in ("shop", "shipping", "web"):
        (tmp_path / f"{name}.yaml").write_text(APP % (name, name))
        assert runner.invoke(cli, ["up", "-f", str(tmp_path / f"{name}.yaml")]).exit_code == 0
    return tmp_path / "home"


def shell(program: str, script: str, home: Path) -> list[str]:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "VESSEL_HOME": str(home)}
    done = subprocess.run([program, *script.split("\0")], capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def bash_completes(words: str, home: Path) -> list[str]:
    script = (
        "source <(vessel --show-completion) && "
        f"COMP_WORDS=({words}) && COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)) && "
        '_vessel_completion vessel && printf "%s\\n" "${COMPREPLY[@]}"'
    )
    return [w for w in shell(shutil.which("bash") or "bash", f"-c\0{script}", home) if w]


def test_bash_completes_commands_options_and_application_names(home: Path) -> None:
    assert sorted(bash_completes("vessel sta", home)) == ["stats", "status"]
    assert bash_completes("vessel status sh", home) == ["shipping", "shop"]
    assert bash_completes("vessel logs ''", home) == ["shipping", "shop", "web"]
    assert bash_completes("vessel ls -o ''", home) == ["table", "json", "yaml"]


def test_a_tab_press_without_a_store_completes_nothing_and_creates_none(tmp_path: Path) -> None:
    assert bash_completes("vessel status ''", tmp_path / "nothing") == []
    assert not (tmp_path / "nothing").exists()


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completes_application_names(home: Path) -> None:
    script = (
        'compdef() { :; }; _arguments() { print -r -- "$@"; }; '  # what zsh's completion system gets
        "source <(_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION=1 vessel --show-completion zsh); "
        "words=(vessel status sh); CURRENT=3; _vessel_completion"
    )
    assert shell(shutil.which("zsh") or "zsh", f"-f\0-c\0{script}", home) == ['*: :(("shipping" "shop"))']
