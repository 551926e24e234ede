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


K8S_OBJECTS = """\
    - name: objs
      type: k8s-objects
      properties:
        objects: [{apiVersion: v1, kind: ConfigMap, metadata: METADATA}]
  workflow:"""

CASES = {
    "a step input no step or component declares": (
        ("inputs: [{from: host, parameterKey: message}]", "inputs: [{from: hots, parameterKey: message}]"),
        r"app.yaml:22: spec.workflow.steps\[1\].inputs\[0\].from: no step or component declares an output "
        r"named 'hots' \(step 'say' would wait for it forever\)",
    ),
    # Tracebacks from input
    "a document whose kind is a list": (
        ("kind: Application", "kind: [Application]"),
        r"app.yaml:2: kind: unsupported kind a list",
    ),
    "metadata given as a list": (
        ("metadata:\n  name: shop", "metadata: [shop]"),
        r"app.yaml:3: metadata: expected",
    ),
    "an object's metadata given as a list": (
        ("  workflow:", K8S_OBJECTS.replace("METADATA", "[a]")),
        r"app.yaml:14: spec.components\[1\]: component 'objs': the workload \(ConfigMap None\): metadata: "
        r"must be a mapping, got list",
    ),
    "a 5,000-digit integer": (
        ("ports: [{port: 80}]", f"ports: [{{port: {'9' * 5000}}}]"),
        r"app.yaml:11: .*port: integer",
    ),
    # Values Kubernetes would reject
    "replicas: -3": (
        (
            "ports: [{port: 80}]",
            "ports: [{port: 80}]\n      traits: [{type: scaler, properties: {replicas: -3}}]",
        ),
        r"app.yaml:7: spec.components\[0\]: component 'api': the workload \(Deployment 'api'\): "
        r"spec.replicas: must be an integer, 0 or more, got -3",
    ),
    "port 70000": (
        ("ports: [{port: 80}]", "ports: [{port: 70000}]"),
        r"component 'api': the workload \(Deployment 'api'\): spec.template.spec.containers\[0\].ports\[0\]"
        r".containerPort: 70000 is not a port number",
    ),
    "namespace a.b": (
        ("  name: shop\n", "  name: shop\n  namespace: a.b\n"),
        r"app.yaml:5: metadata.namespace: expected a name of at most 63 characters: lowercase letters, "
        r"digits and '-'.*, got 'a.b'",
    ),
    "a 200-character application name": (
        ("  name: shop\n", f"  name: {'s' * 200}\n"),
        r"app.yaml:4: metadata.name: expected a name of at most 53 characters",
    ),
    "an application label value over 63 characters": (
        ("  name: shop\n", f"  name: shop\n  labels: {{team: {'t' * 64}}}\n"),
        r"app.yaml:5: metadata.labels.team: 'tttt.*' is not a valid label value",
    ),
    "an object named ../evil": (
        ("  workflow:", K8S_OBJECTS.replace("METADATA", "{name: ../evil}")),
        r"component 'objs': the workload \(ConfigMap '../evil'\): metadata.name: '../evil' is not a DNS-1123 "
        r"subdomain",
    ),
    "a component named with a dot, as a container name": (
        ("    - name: api\n", "    - name: a.pi\n"),
        r"app.yaml:7: spec.components\[0\]: component 'a.pi': the workload \(Deployment 'a.pi'\): "
        r"spec.template.spec.containers\[0\].name: 'a.pi' is not a DNS-1123 label",
    ),
    # Names
    "a step name with NUL": (
        ("      - name: say", '      - name: "s\\0ay"'),
        r"app.yaml:19: spec.workflow.steps",
    ),
    "a step name with ../": (
        ("      - name: say", "      - name: ../say"),
        r"app.yaml:19: spec.workflow.steps\[1\].name: expected a name of at most 128 characters: letters, "
        r"digits, '-', '_' and '.'.*, got '../say'",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_hostile_input_is_refused_naming_file_line_and_field(tmp_path: Path, case: str) -> None:
    (old, new), expected = CASES[case]
    assert old in APP
    message = refusal(tmp_path, APP.replace(old, new))
    assert re.search(expected, message), message
    assert "Traceback" not in message and "internal error" not in message
