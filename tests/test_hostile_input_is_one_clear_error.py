"""Hostile or mistaken input is refused before anything is stored, as one clear error naming the file,
the line and the field — never a traceback, never "internal error", never a run that waits forever.

Each case is what `vessel up` does before it stores a revision (read the files, parse, render every
component) on one small Application with one change.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vessel.cli.inputs import load_inputs
from vessel.controller.manifests import check_renders
from vessel.errors import VesselError

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: shop
spec:
  components:
    - name: api
      type: webservice
      properties:
        image: shop/api:1
        ports: [{port: 80}]
      outputs:
        - {name: host, valueFrom: output.metadata.name}
  workflow:
    steps:
      - name: deploy
        type: deploy
        properties: {policies: []}
      - name: say
        type: print-message-in-status
        properties: {message: hello}
        inputs: [{from: host, parameterKey: message}]
"""


def refusal(tmp_path: Path, text: str) -> str:
    """The one error `vessel up` would print for `text` (the test fails if it is accepted)."""
    file = tmp_path / "app.yaml"
    file.write_text(text)
    with pytest.raises(VesselError) as raised:
        loaded, registry = load_inputs([file], [])
        for app in loaded.applications:
            check_renders(app, registry)
    return raised.value.render()


def test_the_base_application_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(APP)
    loaded, registry = load_inputs([tmp_path / "app.yaml"], [])
    check_renders(loaded.applications[0], registry)


CASES = {
    "a step input no step or component declares": (
        ("inputs: [{from: host, parameterKey: message}]", "inputs: [{from: hots, parameterKey: message}]"),
        r"app.yaml:22: spec.workflow.steps\[1\].inputs\[0\].from: no step or component declares an output "
        r"named 'hots' \(step 'say' would wait for it forever\)",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_hostile_input_is_refused_naming_file_line_and_field(tmp_path: Path, case: str) -> None:
    (old, new), expected = CASES[case]
    assert old in APP
    message = refusal(tmp_path, APP.replace(old, new))
    assert re.search(expected, message), message
    assert "Traceback" not in message and "internal error" not in message
