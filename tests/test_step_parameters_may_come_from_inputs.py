"""A workflow step's required parameter that one of its inputs supplies (`parameterKey`) is accepted at
submit and checked when the step runs, after its inputs are resolved — as KubeVela does (its e2e
`app12.yaml` sends a Slack message whose text is another step's output). Every other rule on what the
file writes still holds at submit."""

from __future__ import annotations

import pytest

from vessel.definitions.check import check_application
from vessel.definitions.registry import build_registry
from vessel.errors import VesselError
from vessel.model import parse_application, read_text

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: notify}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: nginx}
  workflow:
    steps:
      - name: apply
        type: apply-component
        properties: {component: web}
        outputs:
          - {name: greeting, valueFrom: context.name}
      - name: tell
        type: notification
        inputs:
          - {from: greeting, parameterKey: slack.message.text}
        properties:
          slack:
            url: {value: "https://hooks.example.com/x"}
"""


def check(text: str) -> None:
    [doc] = read_text(text, "app.yaml")
    check_application(parse_application(doc), build_registry(plugins=False))


def test_a_required_parameter_an_input_supplies_is_not_missing() -> None:
    check(APP)


def test_a_required_parameter_no_input_supplies_is_still_missing() -> None:
    missing = r"spec.workflow.steps\[1\].properties.slack.message: required field"
    with pytest.raises(VesselError, match=missing):
        check(APP.replace("parameterKey: slack.message.text", "parameterKey: slack.channel"))


def test_what_the_file_writes_beside_the_input_is_still_checked() -> None:
    with pytest.raises(VesselError, match=r"properties.slack.colour: unknown field"):
        check(APP.replace("          slack:\n", "          slack:\n            colour: red\n"))
