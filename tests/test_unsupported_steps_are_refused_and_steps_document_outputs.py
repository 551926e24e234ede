"""A KubeVela step Vessel will not run (`vela-cli`, `restart-workflow`) is refused when the Application is
submitted — by `vessel up` as by the checks it runs — with the field and what to use instead, not
accepted and failed later; `vessel def show STEP` documents a step's outputs (what `valueFrom` reads)
and, for a refused one, why and what instead."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from step_apps import application, check_as_up_does, step, steps
from vessel.cli.main import app as cli
from vessel.errors import ValidationError
from vessel.store import Phase
from vessel.testing.engine import Harness


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
    yield harness
    harness.store.close()


@pytest.mark.parametrize(
    ("type_", "properties", "instead"),
    [
        ("vela-cli", {"command": ["vela", "addon", "enable", "fluxcd"]}, "component of type task"),
        ("deploy-cloud-resource", {"policy": "p", "env": "e"}, "Terraform addon"),
        ("restart-workflow", {"after": "5m"}, "run `vessel workflow restart APP` from a scheduler"),
    ],
)
def test_a_step_vessel_cannot_run_is_refused_at_submit_naming_what_to_use(
    h: Harness, type_: str, properties: dict[str, object], instead: str
) -> None:
    text = application([step("first", "suspend", {"duration": "1s"}), step("run", type_, properties)])
    with pytest.raises(ValidationError) as caught:
        check_as_up_does(h, text)
    message = str(caught.value)
    assert f"spec.workflow.steps[1].type: workflow step type {type_!r} is not supported by Vessel" in message
    assert instead in message


def test_a_refused_step_stored_without_the_submit_check_fails_with_the_same_advice(h: Harness) -> None:
    app = h.up(application([step("cli", "vela-cli", {"command": ["vela", "ls"]})], components=[]))
    failed = steps(h)["cli"]
    assert (app.phase, failed.reason) == (Phase.FAILED, "Unsupported")
    assert (
        "workflow step type 'vela-cli' is not supported by Vessel: vela-cli runs the vela" in failed.message
    )


def test_vessel_up_refuses_vela_cli_with_one_line_and_stores_nothing(
    tmp_path: Path, isolated_home: Path
) -> None:
    (tmp_path / "app.yaml").write_text(
        application([step("cli", "vela-cli", {"command": ["vela", "ls"]})], components=[])
    )
    result = CliRunner().invoke(cli, ["up", "-f", str(tmp_path / "app.yaml")])
    assert result.exit_code == 1
    assert "workflow step type 'vela-cli' is not supported by Vessel" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert CliRunner().invoke(cli, ["ls", "-A", "-o", "json"]).stdout.count('"name"') == 0


def test_def_show_lists_a_steps_outputs() -> None:
    result = CliRunner().invoke(cli, ["def", "show", "read-config"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[lines.index(next(line for line in lines if line.startswith("OUTPUT"))) + 1].startswith(
        "config "
    )
    shown = json.loads(
        CliRunner().invoke(cli, ["def", "show", "collect-service-endpoints", "-o", "json"]).stdout
    )
    assert [o["name"] for o in shown["outputs"]] == ["value", "outputs"] and shown["refused"] is None


def test_def_show_says_why_a_step_is_refused() -> None:
    result = CliRunner().invoke(cli, ["def", "show", "vela-cli"])
    assert result.exit_code == 0 and "refused: vela-cli runs the vela command line in a Job" in " ".join(
        result.stdout.split()
    )
