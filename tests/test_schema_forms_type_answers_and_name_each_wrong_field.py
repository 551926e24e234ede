"""The dashboard's form generated from a definition's JSON Schema (dashboard/schema_form.py): each parameter
gets the widget its schema calls for, answers come back typed as the schema says (defaults left out, so
the definition applies them), and every wrong answer is reported at once, each naming its field."""

from __future__ import annotations

from typing import Any

import pytest

from vessel.dashboard.form_page import application_yaml
from vessel.dashboard.schema_form import properties, widgets
from vessel.definitions.definition import Kind
from vessel.definitions.registry import build_registry, directories_from_env
from vessel.errors import MultipleErrors, ValidationError

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["image"],
    "properties": {
        "image": {"type": "string", "description": "Which image"},
        "replicas": {"type": "integer", "default": 1},
        "ratio": {"type": "number"},
        "expose": {"type": "boolean", "default": False},
        "protocol": {"enum": ["TCP", "UDP"], "default": "TCP"},
        "cmd": {"type": "array", "items": {"type": "string"}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "ports": {
            "type": "array",
            "items": {"type": "object", "required": ["port"], "properties": {"port": {"type": "integer"}}},
        },
        "env": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "valueFrom": {"type": "object", "properties": {"key": {"type": "string"}}},
                },
            },
        },
        "limit": {"type": "object", "properties": {"cpu": {"type": "string"}, "memory": {"type": "string"}}},
    },
}


def test_each_parameter_gets_the_widget_its_schema_calls_for() -> None:
    kinds = {w.path: w.kind for w in widgets(SCHEMA)}
    assert kinds == {
        "image": "text",
        "replicas": "integer",
        "ratio": "number",
        "expose": "checkbox",
        "protocol": "select",
        "cmd": "lines",
        "labels": "map",
        "ports": "rows",
        "env": "yaml",
        "limit": "group",
    }
    found = {w.path: w for w in widgets(SCHEMA)}
    assert found["image"].required and found["image"].description == "Which image"
    assert found["protocol"].options == ("TCP", "UDP")
    assert found["env"].example == "- name: example", "a YAML box shows one item made from the schema"
    assert [[w.path for w in row] for row in found["ports"].rows({})] == [["ports.0.port"]]
    grown = found["ports"].rows({"p.ports.0.port": "80", "grow": "ports"})
    assert [[w.path for w in row] for row in grown] == [["ports.0.port"], ["ports.1.port"]]
    group = found["limit"]
    assert not group.filled({"p.limit.cpu": ""}) and group.filled({"p.limit.cpu": "1"}), (
        "folded unless answered"
    )
    assert [c.path for c in found["limit"].children] == ["limit.cpu", "limit.memory"]


def test_answers_come_back_typed_and_defaults_are_left_out() -> None:
    answers = {
        "p.image": "nginx:1.27",
        "p.replicas": "1",  # the default: left to the definition
        "p.ratio": "0.5",
        "p.expose": "true",
        "p.protocol": "UDP",
        "p.cmd": "serve\n  --quiet\n",
        "p.labels": "team: web",
        "p.ports.0.port": "8080",
        "p.ports.1.port": "",  # an empty row: no item
        "p.ports.2.port": "9090",
        "p.env": "- name: A",
        "p.limit.cpu": "",
        "p.limit.memory": "128Mi",
    }
    assert properties(widgets(SCHEMA), answers) == {
        "image": "nginx:1.27",
        "ratio": 0.5,
        "expose": True,
        "protocol": "UDP",
        "cmd": ["serve", "--quiet"],
        "labels": {"team": "web"},
        "ports": [{"port": 8080}, {"port": 9090}],
        "env": [{"name": "A"}],
        "limit": {"memory": "128Mi"},
    }


def test_every_wrong_answer_is_reported_at_once_naming_its_field() -> None:
    answers = {
        "p.image": "x",
        "p.replicas": "three",
        "p.ratio": "half",
        "p.labels": "- a list",
        "p.ports.0.port": "eighty",
        "p.env": "[1",
    }
    with pytest.raises(MultipleErrors) as raised:
        properties(widgets(SCHEMA), answers)
    messages = [e.message for e in raised.value.errors]
    assert [m.split(":")[0] for m in messages] == [
        "properties.replicas",
        "properties.ratio",
        "properties.labels",
        "properties.ports[0].port",
        "properties.env",
    ]
    assert "expected an integer, got 'three'" in messages[0]


def test_the_webservice_form_makes_an_application_of_one_component() -> None:
    webservice = build_registry(directories_from_env(), []).get(Kind.COMPONENT, "webservice")
    text = application_yaml(webservice, {"name": "web", "namespace": "team", "p.image": "nginx:1.27"})
    assert text.splitlines() == [
        "apiVersion: core.oam.dev/v1beta1",
        "kind: Application",
        "metadata:",
        "  name: web",
        "  namespace: team",
        "spec:",
        "  components:",
        "  - name: web",
        "    type: webservice",
        "    properties:",
        "      image: nginx:1.27",
    ]
    with pytest.raises(ValidationError, match=r"metadata\.name: 'Web_1' is not a DNS-1123 label"):
        application_yaml(webservice, {"name": "Web_1", "namespace": "team", "p.image": "x"})
