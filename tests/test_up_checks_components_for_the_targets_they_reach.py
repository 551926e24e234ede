"""`vessel up` checks each component by rendering it for the targets it will actually be delivered to —
the default target, topology placements, an `apply-component`'s `cluster` — not for Kubernetes
whatever the target: a definition with only a `local` template is accepted for the local target (it
was refused), and is refused, before anything is stored, where it would land on a directory target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli

runner = CliRunner()

LOCAL_ONLY = """\
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {name: script}
spec:
  schematic:
    jinja:
      parameters: {type: object, properties: {cmd: {type: array, items: {type: string}}}}
      templates:
        local: |
          output:
            apiVersion: local.vessel.dev/v1
            kind: Service
            spec:
              replicas: 1
              template: {spec: {containers: [{name: {{ context.name }}, command: {{ parameter.cmd }}}]}}
---
"""
APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: tool}
spec:
  components:
    - {name: job, type: script, properties: {cmd: [sleep, "1"]}}
"""
ON_OUT = "  policies: [{name: out, type: topology, properties: {clusters: [out]}}]\n"
TO_OUT = (
    "  workflow: {steps: [{name: put, type: apply-component, properties: {component: job, cluster: out}}]}\n"
)


def vessel(*args: str) -> Any:
    return runner.invoke(cli, list(args))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    added = vessel("target", "add", "out", "--type", "directory", "--path", str(tmp_path / "out"))
    assert added.exit_code == 0, added.output
    return tmp_path


def up(home: Path, text: str) -> Any:
    (home / "app.yaml").write_text(text)
    return vessel("up", "-f", str(home / "app.yaml"), "--no-wait")


def test_a_local_only_component_goes_to_the_local_default_target(home: Path) -> None:
    result = up(home, LOCAL_ONLY + APP)
    assert result.exit_code == 0, result.output
    assert "tool: revision 1 created" in result.output


@pytest.mark.parametrize("placed", [ON_OUT, TO_OUT], ids=["topology", "apply-component cluster"])
def test_a_local_only_component_placed_on_a_directory_target_is_refused_before_storing(
    home: Path, placed: str
) -> None:
    result = up(home, LOCAL_ONLY + APP + placed)
    assert result.exit_code == 1, result.output
    assert "component type 'script' has no rendering for target type 'kubernetes' (it has: local)" in (
        result.output
    )
    assert "tool" not in vessel("ls").output


WEB = APP.replace('type: script, properties: {cmd: [sleep, "1"]}', "type: webservice, properties: {image: x}")


def test_a_webservice_without_cmd_is_refused_for_the_local_target_it_would_run_on(home: Path) -> None:
    result = up(home, WEB)
    assert result.exit_code == 1, result.output
    assert "component job cannot run on the local target local: set its `cmd` property" in result.output
    assert "tool" not in vessel("ls").output


def test_the_same_webservice_is_accepted_for_a_directory_target(home: Path) -> None:
    result = up(home, WEB + ON_OUT)
    assert result.exit_code == 0, result.output


def test_a_component_placed_on_an_unregistered_target_is_checked_as_before(home: Path) -> None:
    """Where it lands is unknown until that target exists; its deploy step will say so when it runs."""
    result = up(home, WEB + ON_OUT.replace("[out]", "[nowhere]"))
    assert result.exit_code == 0, result.output
