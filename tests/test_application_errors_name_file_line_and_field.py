"""A bad Application is an error that names the file, the line and the field path — never a traceback,
never a partial result."""

from __future__ import annotations

from pathlib import Path

import pytest

from vessel.definitions import load_files
from vessel.errors import MultipleErrors, ParseError, ValidationError, VesselError
from vessel.model import Limits, Mode, read_text
from vessel.model.parse import parse_application

GOOD = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: shop
  namespace: prod
spec:
  components:
    - name: api
      type: webservice
      properties:
        image: shop/api:1
      traits:
        - type: scaler
          properties:
            replicas: 2
      outputs:
        - name: api-host
          valueFrom: output.metadata.name
    - name: web
      type: webservice
      dependsOn: [api]
      inputs:
        - from: api-host
          parameterKey: env.API
  policies:
    - name: eu
      type: topology
      properties: {clusters: [eu-1]}
  workflow:
    mode: {steps: DAG, subSteps: StepByStep}
    steps:
      - name: approve
        type: suspend
        timeout: 1h30m
        meta: {alias: Approval}
      - name: ship
        type: step-group
        dependsOn: [approve]
        if: status.approve.succeeded
        subSteps:
          - {name: ship-api, type: apply-component, properties: {component: api}}
          - {name: ship-web, type: apply-component, properties: {component: web}, dependsOn: [ship-api]}
"""


def parse(text: str, file: str = "app.yaml"):  # type: ignore[no-untyped-def]
    return parse_application(read_text(text, file)[0])


def error_of(text: str) -> str:
    with pytest.raises(VesselError) as err:
        parse(text)
    return str(err.value)


def test_every_application_field_parses_into_typed_objects() -> None:
    app = parse(GOOD)
    assert (app.name, app.namespace) == ("shop", "prod")
    api, web = app.components
    assert api.traits[0].type == "scaler" and api.traits[0].properties == {"replicas": 2}
    assert api.outputs[0].value_from == "output.metadata.name"
    assert web.depends_on == ("api",) and web.inputs[0].parameter_key == "env.API"
    assert app.policies[0].properties["clusters"] == ("eu-1",)
    assert app.workflow is not None
    assert (app.workflow.mode, app.workflow.sub_step_mode) == (Mode.DAG, Mode.STEP_BY_STEP)
    approve, ship = app.workflow.steps
    assert approve.timeout == "1h30m" and approve.alias == "Approval"
    assert ship.if_ == "status.approve.succeeded" and [s.name for s in ship.sub_steps] == [
        "ship-api",
        "ship-web",
    ]


def test_parsed_application_cannot_be_changed() -> None:
    app = parse(GOOD)
    with pytest.raises(TypeError):
        app.components[0].properties["image"] = "evil"  # type: ignore[index]
    with pytest.raises(AttributeError):
        app.name = "other"  # type: ignore[misc]


def test_wrong_type_names_file_line_and_path() -> None:
    text = GOOD.replace("replicas: 2", "replicas: [2]").replace("name: shop", "name: 7")
    assert "app.yaml:4: metadata.name: expected string, got 7" in error_of(text)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("dependsOn: [api]", "dependOn: [api]"), "app.yaml:21: spec.components[1].dependOn: unknown field"),
        (
            ("      type: webservice\n      dependsOn", "      dependsOn"),
            "spec.components[1].type: required field is missing",
        ),
        (
            ("dependsOn: [api]", "dependsOn: [db]"),
            "app.yaml:21: spec.components[1].dependsOn[0]: depends on unknown component 'db'",
        ),
        (("    - name: web", "    - name: api"), "spec.components[1].name: duplicate component name 'api'"),
        (
            ("timeout: 1h30m", "timeout: soon"),
            "spec.workflow.steps[0].timeout: expected a duration like 30s, 5m or 1h30m (at most 2562047h), "
            "got 'soon'",
        ),
        (("steps: DAG", "steps: Parallel"), "spec.workflow.mode.steps: expected one of 'StepByStep', 'DAG'"),
        (
            ("- from: api-host", "- from: db-host"),
            "spec.components[1].inputs[0].from: no component declares an output named 'db-host'",
        ),
        (("kind: Application", "kind: Application\nstate: {}"), "app.yaml:3: state: unknown field"),
    ],
)
def test_invalid_fields_are_reported_at_their_path(change: tuple[str, str], expected: str) -> None:
    assert expected in error_of(GOOD.replace(*change))


def test_dependency_cycle_is_reported_with_its_members() -> None:
    text = GOOD.replace(
        "      outputs:\n        - name: api-host",
        "      dependsOn: [web]\n      outputs:\n        - name: api-host",
    )
    assert "dependency cycle: api -> web -> api" in error_of(text)


def test_inputs_count_as_dependencies_for_cycles() -> None:
    text = GOOD.replace(
        "      outputs:\n        - name: api-host\n          valueFrom: output.metadata.name\n", ""
    )
    text = text.replace(
        "      inputs:\n        - from: api-host",
        "      outputs:\n        - name: web-host\n"
        "          valueFrom: x\n      inputs:\n        - from: api-host",
    )
    text = text.replace(
        "      traits:",
        "      inputs: [{from: web-host}]\n      outputs: [{name: api-host, valueFrom: y}]\n      traits:",
    )
    assert "dependency cycle" in error_of(text)


def test_all_problems_are_reported_together() -> None:
    text = GOOD.replace("dependsOn: [api]", "dependsOn: [db]").replace("    - name: web", "    - name: api")
    with pytest.raises(MultipleErrors) as err:
        parse(text)
    assert len(err.value.errors) == 2


def test_duplicate_key_is_an_error_not_a_silent_override() -> None:
    text = GOOD.replace("        image: shop/api:1", "        image: shop/api:1\n        image: shop/api:2")
    with pytest.raises(
        ParseError, match=r"app.yaml:12: spec.components\[0\].properties.image: duplicate key"
    ):
        parse(text)


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(ParseError, match=r"app.yaml:3: YAML syntax error"):
        parse("a: 1\nb: [1, 2\nc: {\n")


def test_alias_bomb_is_rejected_quickly() -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(ParseError, match="alias bomb"):
        read_text("\n".join(lines), "bomb.yaml")


def test_ordinary_anchors_still_work() -> None:
    (doc,) = read_text("base: &b {image: x}\nother: *b\n")
    assert doc.data["other"] == {"image": "x"}


def test_merge_keys_are_refused_with_advice() -> None:
    with pytest.raises(ParseError, match="merge keys"):
        read_text("base: &b {image: x}\nother:\n  <<: *b\n")


def test_inputs_over_the_size_cap_are_refused() -> None:
    with pytest.raises(ParseError, match="byte limit"):
        read_text("a: " + "x" * 2000, "big.yaml", Limits(max_bytes=1000))


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(ParseError, match="nesting deeper"):
        read_text("a: " + "[" * 100 + "]" * 100)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("9" * 400, r"999999999999…999999 \(400 characters\)"),  # a 400-digit port
        ("9" * 5000, r"999999999999…999999 \(5000 characters\)"),  # Python's int() would raise
        ("-9223372036854775809", "-9223372036854775809"),  # one past the smallest int64
        ("0x1" + "0" * 16, "0x10000000000000000"),
    ],
)
def test_an_integer_beyond_64_bits_is_an_error_naming_file_line_and_field(value: str, shown: str) -> None:
    text = GOOD.replace("            replicas: 2", f"            replicas: {value}")
    with pytest.raises(
        ParseError,
        match=rf"app.yaml:15: spec.components\[0\].traits\[0\].properties.replicas: integer {shown} is "
        r"out of range: integers must fit in 64 bits",
    ):
        parse(text)


def test_the_64_bit_integer_range_is_accepted_whole() -> None:
    (doc,) = read_text("low: -9223372036854775808\nhigh: 9223372036854775807\n" + f"{'9' * 400}: key\n")
    assert doc.data == {"low": -(2**63), "high": 2**63 - 1, "9" * 400: "key"}


def test_kubernetes_style_scalars_keep_their_meaning() -> None:
    (doc,) = read_text("date: 2024-01-01\nport: 8080\nflag: yes\n8080: numeric-key\n")
    assert doc.data == {"date": "2024-01-01", "port": 8080, "flag": True, "8080": "numeric-key"}


def test_file_may_hold_application_and_definitions(tmp_path: Path) -> None:
    definition = (Path(__file__).parent / "golden" / "_fixtures" / "golden-deployment.yaml").read_text()
    file = tmp_path / "app.yaml"
    file.write_text(GOOD + "---\n" + definition)
    loaded = load_files([str(file)])
    assert [a.name for a in loaded.applications] == ["shop"]
    assert [d.name for d in loaded.definitions] == ["golden-deployment"]


def test_a_non_oam_object_is_refused_saying_how_to_deliver_it(tmp_path: Path) -> None:
    file = tmp_path / "app.yaml"
    file.write_text(GOOD + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    with pytest.raises(ValidationError) as err:
        load_files([str(file)])
    assert "app.yaml:45: kind: ConfigMap 'x' is not an OAM object" in str(err.value)
    assert "put this object in a component of type k8s-objects" in str(err.value)


def test_missing_file_is_a_clear_error() -> None:
    with pytest.raises(ParseError, match="nope.yaml: cannot read file"):
        load_files(["nope.yaml"])
