"""Templates render to data: a property value can never add a resource or a field, is never itself
rendered as a template, and a runaway template is stopped by its time and size caps (every bomb the
caps stop: tests/test_template_bombs_stop_at_their_caps.py)."""

from __future__ import annotations

import math

import pytest

from vessel.definitions import JinjaTemplate, RenderLimits
from vessel.errors import DefinitionError, Location, RenderError

TEMPLATE = """\
output:
  apiVersion: v1
  kind: ConfigMap
  data:
    value: {{ parameter.value }}
    joined: {{ parameter.value ~ "-suffix" }}
"""


def render(source: str, limits: RenderLimits | None = None, **parameter: object) -> dict:  # type: ignore[type-arg]
    template = JinjaTemplate(source, "test", Location("def.yaml", 10))
    return template.render({"parameter": parameter, "context": {"name": "c"}}, limits or RenderLimits())


HOSTILE = [
    "nginx\n---\napiVersion: v1\nkind: Secret",
    "x\n  injected: true",
    "{{ 7 * 7 }}",
    "{% for i in range(10) %}x{% endfor %}",
    '"quoted", extra: field',
    "a: b",
    "- item",
    "# comment",
    "\u2028line\u2029separators\x85nel\x7fdel",
    "tab\there and emoji 🚢",
    "yes",
    "0x1F",
    "",
    "\\",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_value_stays_one_scalar(value: str) -> None:
    data = render(TEMPLATE, value=value)["output"]["data"]
    assert data == {"value": value, "joined": value + "-suffix"}


@pytest.mark.parametrize(
    "value",
    [0, -3, 2**70, 1.5, 1e20, -2.5e-12, math.inf, True, False, None, [1, "a", {"b": None}], {"k": [1.0]}],
)
def test_values_of_every_type_arrive_unchanged(value: object) -> None:
    assert render("v: {{ parameter.v }}\nk: {{ [parameter.v] }}", v=value) == {"v": value, "k": [value]}


def test_nan_arrives_as_nan() -> None:
    assert math.isnan(render("v: {{ parameter.v }}", v=math.nan)["v"])


def test_rendered_data_is_a_fresh_copy_of_the_parameters() -> None:
    env = [{"name": "A"}]
    out = render("env: {{ parameter.env }}", env=env)
    assert out["env"] == env and out["env"] is not env and out["env"][0] is not env[0]


@pytest.mark.parametrize(
    "source",
    ['name: "{{ parameter.v }}-svc"', "script: |\n  echo {{ parameter.v }}\n", "name: pre-{{ parameter.v }}"],
)
def test_expression_inside_a_longer_string_is_explained(source: str) -> None:
    with pytest.raises(RenderError, match="whole YAML value"):
        render(source, v="x")


def test_same_branches_reuse_one_parsed_skeleton() -> None:
    from vessel.definitions.slots import SKELETONS

    SKELETONS.clear()
    for image in ("a", "b", "c"):
        render(TEMPLATE, value=image)
    info = SKELETONS.info()
    assert (info.misses, info.hits) == (1, 2)


def test_structures_are_emitted_whole() -> None:
    source = "output:\n  apiVersion: v1\n  kind: List\n  items: {{ parameter.items_ }}\n"
    items = [{"name": "a\n---", "value": 1}, {"name": "b"}]
    assert render(source, items_=items)["output"]["items"] == items


def test_missing_parameter_is_an_error_naming_the_template_line() -> None:
    with pytest.raises(RenderError) as err:
        render(TEMPLATE)
    assert "undefined value" in str(err.value) and "def.yaml:15" in str(err.value)


def test_fail_reports_the_authors_message() -> None:
    with pytest.raises(RenderError, match="container web not found"):
        render("{{ fail('container web not found') }}")


INTERNALS = "x: {{ ''.__class__.__mro__[1].__subclasses__() }}"


@pytest.mark.parametrize(
    "source",
    [
        "x: {{ ''.__class__ }}",  # loop-free: rendered in this process, in the bounded environment
        INTERNALS,  # calls a method outside the bounded language: rendered by a template worker
        "{% for _ in [1] %}x: {{ ''.__class__.__mro__ }}{% endfor %}",  # a loop: a worker too
    ],
)
def test_sandbox_refuses_python_internals(source: str) -> None:
    with pytest.raises(RenderError, match="access to attribute '__class__' of 'str' object is unsafe"):
        render(source)


def test_sandbox_refuses_mutating_inputs() -> None:
    with pytest.raises(RenderError):
        render("{% set _ = parameter.items_.append(1) %}x: 1", items_=[])


def test_infinite_work_hits_the_time_cap() -> None:
    source = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x: 1"
    cap = r"def.yaml:11: template test: used more than 0.2 s of CPU time \(the cap\)"
    with pytest.raises(RenderError, match=cap):
        render(source, RenderLimits(cpu_seconds=0.2))


def test_huge_output_hits_the_size_cap() -> None:
    # a gigabyte of text and no {{ }}: stopped as the text grows, not when memory runs out
    source = "{% for i in range(100000) %}{% for j in range(1000) %}xxxxxxxxxx{% endfor %}{% endfor %}"
    with pytest.raises(RenderError, match=r"template test: output is larger than 97.7 KiB \(the cap\)"):
        render(source, RenderLimits(output_bytes=100_000))


def test_string_multiplication_bomb_is_refused() -> None:
    with pytest.raises(RenderError, match=r"'\*' would build a value larger than 4 MiB \(the cap\)"):
        render("x: {{ 'x' * 10000000000 }}")


def test_syntax_error_is_a_definition_error_with_line() -> None:
    with pytest.raises(DefinitionError, match="def.yaml:12: template syntax error"):
        JinjaTemplate("a: 1\n{% if %}\n", "t", Location("def.yaml", 10)).compile()


def test_template_yaml_mistake_is_explained() -> None:
    with pytest.raises(RenderError, match="invalid YAML at output line 2"):
        render("a: 1\n  b: 2\n c: 3\n")


def test_data_keys_win_over_dict_methods() -> None:
    volume = {"name": "cfg", "items": [{"key": "a", "path": "a"}]}
    source = "a: {{ parameter.v.items }}\nb: {{ parameter.v['items'] }}\nc: {{ 'items' in parameter.w }}\n"
    assert render(source, v=volume, w={}) == {"a": volume["items"], "b": volume["items"], "c": False}


def test_missing_key_by_subscript_is_undefined_not_a_method() -> None:
    with pytest.raises(RenderError, match="undefined"):
        render("b: {{ parameter.w['items'] }}", w={})


def test_undefined_inside_an_emitted_structure_is_a_render_error() -> None:
    with pytest.raises(RenderError, match="undefined"):
        render("b: {{ {'claim': parameter.w.missing} }}", w={})
