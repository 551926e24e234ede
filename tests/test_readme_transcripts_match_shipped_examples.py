"""The README cannot rot: every console transcript in it runs against what ships.

Each `vessel …` command line parses (its subcommands, options and values exist); every file it names
exists and renders (`vessel dry-run`); every application it names is one of the shipped examples (in
that namespace); what a transcript shows `vessel up` printing names that file's application and its
workflow steps; what it shows `vessel dry-run` printing are headers of the real output, in order; an
abridged example is a part of the real file; and the fake API server starts with the one command
given."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.definitions.files import load_files
from vessel.model.application import Application
from vessel.workflow.plan import plan_for

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
NAMED = {"status", "logs", "diff", "delete", "events", "revision", "workflow"}  # commands taking an app NAME
STEP_LINE = re.compile(r"^  (\S+)\s{2,}(pending|running|suspending|succeeded|failed|skipped)\b")
runner = CliRunner()


@dataclass(frozen=True)
class Command:
    argv: list[str]
    output: list[str]

    def __str__(self) -> str:
        return shlex.join(self.argv)


def transcripts() -> Iterator[Command]:
    """Every `$ command` of every ```console block, with the lines it is shown printing."""
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        text = re.sub(r"\\\n\s*", " ", block)  # continued lines
        argv: list[str] | None = None
        output: list[str] = []
        for line in text.splitlines():
            if line.startswith("$ "):
                if argv is not None:
                    yield Command(argv, output)
                argv, output = [w for w in shlex.split(line[2:], comments=True) if w != "&"], []
            else:
                output.append(line)
        if argv is not None:
            yield Command(argv, output)


VESSEL = [c for c in transcripts() if c.argv[0] == "vessel"]
SHIPPED = [
    app for f in sorted((ROOT / "examples").rglob("*.yaml")) for app in load_files([str(f)]).applications
]


def parsed(argv: list[str]) -> tuple[list[str], dict[str, Any]]:
    """The subcommand path and the parameters Click makes of a command line (a usage error raises)."""
    command: Any = typer.main.get_command(cli)
    path, args = [], argv[1:]
    while hasattr(command, "commands"):  # a group
        assert args and args[0] in command.commands, f"no command {args[:1]} under {path}"
        path.append(args[0])
        command, args = command.commands[args[0]], args[1:]
    return path, command.make_context(" ".join(path), args).params


def applications(path: str) -> list[Application]:
    found = load_files([str(ROOT / path)]).applications
    assert found, f"{path} holds no Application"
    return found


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)


def test_the_readme_has_transcripts_of_each_kind() -> None:
    shown = {c.argv[1] for c in VESSEL}
    assert {"up", "dry-run", "status", "logs", "ls", "revision", "target", "workflow"} <= shown
    assert README.startswith("# Vessel\n\n```sh\nbash scripts/demo.sh")  # the two commands stay first
    assert "bash scripts/test.sh" in README.split("\n\n")[1]


@pytest.mark.parametrize("command", VESSEL, ids=str)
def test_each_vessel_command_parses_and_names_what_ships(command: Command) -> None:
    path, params = parsed(command.argv)
    for file in params.get("files") or []:
        assert (ROOT / file).is_file(), f"{command}: {file} is not shipped"
        rendered = runner.invoke(cli, ["dry-run", "-f", str(ROOT / file)])
        assert rendered.exit_code == 0, rendered.output
    if path[0] in NAMED and "name" in params:
        where = (params.get("namespace") or "default", params["name"])
        assert where in {(a.namespace, a.name) for a in SHIPPED}, f"{command}: no shipped application {where}"


@pytest.mark.parametrize("command", [c for c in VESSEL if c.argv[1] == "up" and c.output], ids=str)
def test_what_up_is_shown_printing_names_that_applications_steps(command: Command) -> None:
    [app] = applications(parsed(command.argv)[1]["files"][0])
    steps = {step.name for step, _ in plan_for(app).all_steps()}
    assert command.output[0] == f"{app.name}: revision 1 created"
    shown = [m.group(1) for line in command.output if (m := STEP_LINE.match(line))]
    assert shown and set(shown) <= steps, f"{command}: steps {shown} are not all in {sorted(steps)}"
    assert all(line.startswith((app.name, "  ")) for line in command.output)


@pytest.mark.parametrize("command", [c for c in VESSEL if c.argv[1] == "dry-run" and c.output], ids=str)
def test_what_dry_run_is_shown_printing_is_its_real_output(command: Command) -> None:
    file = parsed(command.argv)[1]["files"][0]
    real = runner.invoke(cli, ["dry-run", "-f", str(ROOT / file)]).stdout.splitlines()
    headers = [line for line in command.output if line.startswith("# Application(")]
    assert headers == [line for line in real if line.startswith("# Application(")]
    shown = [line for line in command.output if line.strip() not in ("...", "---")]
    remaining = iter(real)
    missing = [line for line in shown if line not in remaining]  # in the real output, in this order
    assert not missing, f"{command}: not printed (in this order): {missing}"


def part_of(part: Any, whole: Any) -> bool:
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and part_of(v, whole[k]) for k, v in part.items())
    if isinstance(part, list):
        return isinstance(whole, list) and len(part) <= len(whole) and all(map(part_of, part, whole))
    return bool(part == whole)


def test_an_abridged_example_is_part_of_the_shipped_file() -> None:
    found = re.findall(r"`(examples/[^`]+\.yaml)` \(abridged\):\n\n```yaml\n(.*?)```", README, re.S)
    assert found
    for path, text in found:
        assert part_of(yaml.safe_load(text), yaml.safe_load((ROOT / path).read_text())), path


def test_the_fake_api_server_starts_with_the_one_command_given(tmp_path: Path) -> None:
    [command] = [c for c in transcripts() if c.argv[:3] == ["python", "-m", "vessel.testing.fake_kube"]]
    server = subprocess.Popen(
        [sys.executable, *command.argv[1:]], cwd=tmp_path, stdout=subprocess.PIPE, text=True, env=os.environ
    )
    try:
        assert server.stdout is not None
        assert "fake Kubernetes API server" in server.stdout.readline()
        assert "kubeconfig:" in server.stdout.readline()
        kubeconfig = tmp_path / command.argv[command.argv.index("--kubeconfig") + 1]
        added = runner.invoke(
            cli, ["target", "add", "fake", "--type", "kubernetes", "--kubeconfig", str(kubeconfig)]
        )
        assert added.exit_code == 0 and "reachable, v1.31" in added.stdout, added.output
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=10) == 0
    finally:
        server.kill()
        server.wait()
