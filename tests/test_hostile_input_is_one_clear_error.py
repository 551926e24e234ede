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
    file.write_text(RECURSIVE + "---\n" + text if "type: recursive" in text else text)
    with pytest.raises(VesselError) as raised:
        loaded, registry = load_inputs([file], [])
        for app in loaded.applications:
            check_renders(app, registry)
    return raised.value.render()


def test_the_base_application_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(APP)
    loaded, registry = load_inputs([tmp_path / "app.yaml"], [])
    check_renders(loaded.applications[0], registry)


LAST = "        inputs: [{from: host, parameterKey: message}]"
RECURSIVE = """\
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {name: recursive}
spec:
  schematic:
    jinja:
      parameters: {type: object, properties: {}}
      templates:
        kubernetes: |
          {% macro f(n) %}{{ f(n + 1) }}{% endmacro %}
          output: {apiVersion: v1, kind: ConfigMap, metadata: {name: {{ f(1) }}}}
"""
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
    "apply-object's metadata given as a list": (
        (
            f"{LAST}\n",
            f"{LAST}\n      - {{name: obj, type: apply-object, properties: {{value: {{apiVersion: v1, "
            "kind: ConfigMap, metadata: [a]}}}\n",
        ),
        r"app.yaml:23: spec.workflow.steps\[2\].properties.value.metadata: expected object, got a list",
    ),
    "a recursive macro in a definition": (
        ("  workflow:", "    - {name: loop, type: recursive}\n  workflow:"),
        r"app.yaml:26: spec.components\[1\]: component 'loop': recursion too deep \(a macro calling "
        r"itself\?\) \[template at \S*app.yaml:10: spec.schematic.jinja.templates.kubernetes\]",
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
    # "internal error" at run time, before
    "a malformed suspend duration": (
        (
            f"{LAST}\n",
            f"{LAST}\n      - {{name: wait, type: suspend, properties: {{duration: 5x}}}}\n",
        ),
        r"app.yaml:23: spec.workflow.steps\[2\].properties.duration: expected a duration like 30s, 5m or "
        r"1h30m \(at most 2562047h\), got '5x'",
    ),
    "a suspend duration beyond Go's range": (
        (
            f"{LAST}\n",
            f"{LAST}\n      - {{name: wait, type: suspend, properties: {{duration: 99999999999h}}}}\n",
        ),
        r"app.yaml:23: spec.workflow.steps\[2\].properties.duration: expected a duration",
    ),
    "a step timeout beyond Go's range": (
        (
            "        type: print-message-in-status\n",
            "        type: print-message-in-status\n        timeout: 9999999999h\n",
        ),
        r"app.yaml:21: spec.workflow.steps\[1\].timeout: expected a duration like 30s",
    ),
    "a parameterKey with an empty part": (
        ("parameterKey: message}", "parameterKey: message..x}"),
        r"app.yaml:22: spec.workflow.steps\[1\].inputs\[0\].parameterKey: 'message..x' is not a dotted field "
        r"path like env.API or data.host \(it has an empty part\)",
    ),
    "a parameterKey through a string": (
        ("parameterKey: message}", "parameterKey: message.text}"),
        r"app.yaml:22: spec.workflow.steps\[1\].inputs\[0\].parameterKey: 'message.text': message is a "
        r"string, not an object the value can go into",
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


def test_a_malformed_duration_arriving_by_input_fails_its_step_as_validation(tmp_path: Path) -> None:
    """The submit check cannot see a value an input brings at run time: that is a validation failure of
    the step, naming the field — not "internal error"."""
    from vessel.testing.engine import Harness

    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
    record = harness.up(
        APP.replace(
            "steps:\n",
            "steps:\n      - {name: soon, type: print-message-in-status, "
            "properties: {message: x}, outputs: [{name: when, valueFrom: '\"5x\"'}]}\n",
            1,
        )
        + "      - {name: wait, type: suspend, inputs: [{from: when, parameterKey: duration}]}\n"
    )
    run = harness.store.latest_run(record.id)
    assert run is not None
    wait = harness.store.steps(run.id)["wait"]
    assert (wait.phase, wait.reason) == ("failed", "Validation"), wait
    assert "properties.duration: expected a duration like 30s, 5m or 1h30m" in wait.message


@pytest.mark.parametrize("name", ["../evil", "['a']", "x" * 254])
def test_apply_object_never_hands_a_target_an_object_kubernetes_would_refuse(
    tmp_path: Path, name: str
) -> None:
    from vessel.testing.engine import Harness

    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
    step = "      - {name: obj, type: apply-object, properties: {value: {apiVersion: v1, kind: ConfigMap, "
    record = harness.up(APP + step + f'metadata: {{name: "{name}"}}}}}}}}\n')
    run = harness.store.latest_run(record.id)
    assert run is not None
    obj = harness.store.steps(run.id)["obj"]
    assert obj.phase == "failed" and "apply-object: value.metadata.name:" in obj.message, obj
    assert "is not a DNS-1123 subdomain" in obj.message
    assert not [key for key in harness.targets["mem"].objects if key.kind == "ConfigMap"]
