"""`if` conditions, step and component `outputs`, `healthPolicy` and `customStatus` cannot take more than
their caps, whatever they contain.

They are written in the bounded language and evaluated in-process: what is outside it (a loop, a width
method, a filter off the whitelist, an expression that is too large once `{% set %}` variables are
expanded) is refused when the definition loads or the Application is submitted, naming the field; what
is inside it is size-checked as it runs, and going over a cap fails with a message naming the step,
component or definition and the cap — while this process's memory stays flat. Bombs are just over the
(default, 1 MiB) cap, so a regression fails fast.
"""

from __future__ import annotations

import json
import re
import resource
from pathlib import Path
from typing import Any

import pytest

from vessel.definitions import Definition, Kind, Parameters, RenderLimits, StatusRules
from vessel.definitions.check import check_application
from vessel.definitions.limits import MIB
from vessel.definitions.registry import load_path
from vessel.errors import DefinitionError, Location, OverCapError, ValidationError
from vessel.model.parse import parse_application
from vessel.model.yaml_source import read_text
from vessel.render import evaluate_status
from vessel.store import Phase
from vessel.store.records import StepPhase
from vessel.testing.engine import Harness
from vessel.workflow.conditions import holds

# In the language, over the cap when run (1 MiB = 1,048,576 bytes): each bomb of issue 9 that an
# expression can hold.
RUNTIME_BOMBS = [
    ("'x' * 1100000", r"'\*' would build a value larger than 1 MiB \(the cap\)"),
    ("[0] * 140000", r"'\*' would build a value larger than 1 MiB \(the cap\)"),
    ("7 ** 1001", r"'\*\*' exponent 1001 is larger than 1000 \(the cap\)"),
    ("((2 ** 1000) ** 9) ** 1000", r"'\*\*' would build an integer of more than 4300 digits \(the cap\)"),
    ("'%*s' % (1100000, 'x')", r"'%' would build a value larger than 1 MiB \(the cap\)"),
    ("range(100001) | list", r"range\(\) of more than 100000 items \(the cap\)"),
    ("([[[0] * 1000] * 1000] * 1000) == 0", r"'\*' would build a value larger than 1 MiB \(the cap\)"),
    ("['x' * 500000, 'y' * 500000] | join", r"built more than 1 MiB of values in one evaluation \(the cap\)"),
    ("('x' * 600000) ~ ('x' * 600000)", r"built more than 1 MiB of values in one evaluation \(the cap\)"),
]
# Outside the language: refused before anything runs.
STATIC_BOMBS = [
    ("'x'.ljust(10 ** 9)", r"calling 'ljust' is not allowed here"),
    ("'x'.center(10 ** 9)", r"calling 'center' is not allowed here"),
    ("'1'.zfill(10 ** 9)", r"calling 'zfill' is not allowed here"),
    ("'\\t'.expandtabs(10 ** 9)", r"calling 'expandtabs' is not allowed here"),
    ("'{:>1000000000}'.format(1)", r"calling 'format' is not allowed here"),
    ("dict.fromkeys(range(10 ** 6))", r"calling 'fromkeys' is not allowed here"),
    ("'x' | center(10 ** 9)", r"the filter 'center' is not allowed here"),
    ("'x' | format(1)", r"the filter 'format' is not allowed here"),
]


def rss_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# --- if -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("bomb", "error"), RUNTIME_BOMBS, ids=[b for b, _ in RUNTIME_BOMBS])
def test_an_if_building_a_huge_value_fails_its_step_naming_the_cap(bomb: str, error: str) -> None:
    with pytest.raises(OverCapError, match=rf"step check: if expression .*: {error}"):
        holds(f"({bomb}) == 0", {}, {}, "check")


@pytest.mark.parametrize(("bomb", "error"), STATIC_BOMBS, ids=[b for b, _ in STATIC_BOMBS])
def test_an_if_outside_the_language_is_refused(bomb: str, error: str) -> None:
    with pytest.raises(ValidationError, match=rf"step check: if: cannot parse .*{error}"):
        holds(f"{bomb} == ''", {}, {}, "check")


# --- healthPolicy and customStatus ---------------------------------------------------------------------


def status_of(health: str | None, message: str | None, live: dict[str, Any] | None = None) -> Any:
    rules = StatusRules(health, message, Location("def.yaml", 3, "spec.status"), "bomb")
    definition = Definition(Kind.COMPONENT, "bomb", Parameters(None, Location()), {}, status=rules)
    return evaluate_status(definition, live or {"spec": {"replicas": 1}})


@pytest.mark.parametrize(("bomb", "error"), RUNTIME_BOMBS, ids=[b for b, _ in RUNTIME_BOMBS])
def test_a_health_policy_building_a_huge_value_is_unhealthy_naming_the_cap(bomb: str, error: str) -> None:
    status = status_of(f"({bomb}) == 0", None)
    assert not status.healthy and re.search(rf"^definition bomb: healthPolicy: {error}", status.message)


@pytest.mark.parametrize(("bomb", "error"), RUNTIME_BOMBS, ids=[b for b, _ in RUNTIME_BOMBS])
def test_a_custom_status_building_a_huge_value_is_unhealthy_naming_the_cap(bomb: str, error: str) -> None:
    status = status_of(None, f"Ready: {{{{ ({bomb}) | length }}}}")
    assert not status.healthy and re.search(rf"^definition bomb: customStatus: {error}", status.message)


def test_a_custom_status_writing_a_huge_structure_as_text_is_stopped_before_it_is_written() -> None:
    # 64 references to one 8 KB list: 2 MB of text from a few hundred bytes of memory
    b, c = "[" + ", ".join(["a"] * 8) + "]", "[" + ", ".join(["b"] * 8) + "]"
    source = f"{{% set a = ['x' * 1000] * 8 %}}{{% set b = {b} %}}{{% set c = {c} %}}{{{{ c }}}}"
    status = status_of(None, source)
    assert (
        status.message
        == "definition bomb: customStatus: '{{ }}' would build a value larger than 1 MiB (the cap)"
    )


def test_a_custom_status_doubling_a_string_with_set_stops_at_the_allowance() -> None:
    doubling = "".join(f"{{% set s{i + 1} = s{i} ~ s{i} %}}" for i in range(6))
    status = status_of(None, "{% set s0 = 'x' * 20000 %}" + doubling + "{{ s6 | length }}")
    assert status.message == (
        "definition bomb: customStatus: built more than 1 MiB of values in one evaluation (the cap)"
    )


def test_a_status_rule_working_long_on_a_large_input_stops_at_its_cpu_cap() -> None:
    # 60 sorts of a 100,000-item list: well within the size caps, far over 0.05 s of CPU
    rules = StatusRules(None, "{{ context.output.items | sort | length }}" * 60, Location(), "bomb")
    limits = RenderLimits(cpu_seconds=0.05, expression_bytes=1 << 30)
    status = rules.evaluate({"context": {"output": {"items": list(range(100_000, 0, -1))}}}, limits)
    assert status.message == "definition bomb: customStatus: used more than 0.05 s of CPU time (the cap)"


def test_an_expression_nested_too_deeply_to_compile_is_refused_when_its_definition_loads() -> None:
    deep = " + ".join(["1"] * 300)  # Python's compiler refuses 200 nested calls
    with pytest.raises(DefinitionError, match="nested more than 100 levels deep"):
        StatusRules(f"({deep}) > 0", None, Location(), "bomb")


DEFINITION = """\
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {{name: bomb}}
spec:
  status:
{status}
  schematic:
    jinja:
      templates:
        kubernetes: |
          output: {{apiVersion: v1, kind: ConfigMap, metadata: {{name: x}}}}
"""


@pytest.mark.parametrize(
    ("status", "error"),
    [
        ("    customStatus: '{% for i in range(9) %}x{% endfor %}'", r"\{% for %\} is not allowed here"),
        ("    customStatus: '{% macro m() %}{% endmacro %}'", r"\{% macro %\} is not allowed here"),
        ("    healthPolicy: \"'x'.ljust(10 ** 9) == ''\"", r"calling 'ljust' is not allowed here"),
        ('    healthPolicy: "context.output | center(9)"', r"the filter 'center' is not allowed here"),
        (  # each level refers to the one before twice: 2**20 operations once expanded
            "    customStatus: '{% set a0 = [1] %}"
            + "".join(f"{{% set a{i + 1} = [a{i}, a{i}] %}}" for i in range(20))
            + "{{ a20 }}'",
            r"too large: more than 2000 operations once \{% set %\} variables are expanded \(the cap\)",
        ),
    ],
)
def test_a_status_rule_outside_the_language_is_refused_when_its_definition_loads(
    tmp_path: Path, status: str, error: str
) -> None:
    file = tmp_path / "bomb.yaml"
    file.write_text(DEFINITION.format(status=status))
    with pytest.raises(DefinitionError, match=rf"bomb.yaml:5: spec.status.\w+: \w+: {error}"):
        load_path(file)


# --- outputs, and whole runs -----------------------------------------------------------------------------


@pytest.fixture
def h(tmp_path: Path) -> Any:
    harness = Harness.create(f"sqlite:///{tmp_path / 'store.db'}")
    yield harness
    harness.store.close()


def application(steps: list[dict[str, Any]], components: list[dict[str, Any]] | None = None) -> str:
    web = {"name": "api", "type": "webservice", "properties": {"image": "shop/api:1"}}
    spec = {"components": components or [web], "workflow": {"steps": steps}}
    return json.dumps(
        {
            "apiVersion": "core.oam.dev/v1beta1",
            "kind": "Application",
            "metadata": {"name": "wf"},
            "spec": spec,
        }
    )


def say(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "print-message-in-status", "properties": {"message": name}, **extra}


def test_a_run_whose_if_builds_a_huge_value_fails_that_step_naming_step_and_cap(h: Harness) -> None:
    app = h.up(application([say("first"), say("check", **{"if": "('x' * 1100000) == ''"})]))
    record = h.store.steps(h.store.latest_run(app.id).id)["check"]  # type: ignore[union-attr]
    assert record.phase == StepPhase.FAILED
    assert "step check: if expression" in record.message
    assert "'*' would build a value larger than 1 MiB (the cap)" in record.message
    assert app.phase == Phase.FAILED


def test_a_step_output_building_a_huge_value_is_not_published_and_says_why(h: Harness) -> None:
    producer = say("producer", outputs=[{"name": "big", "valueFrom": "'x' * 1100000"}])
    consumer = say("consumer", inputs=[{"from": "big", "parameterKey": "message"}])
    app = h.up(application([producer, consumer]))
    records = h.store.steps(h.store.latest_run(app.id).id)  # type: ignore[union-attr]
    assert "output big: valueFrom" in records["producer"].message
    assert "would build a value larger than 1 MiB (the cap)" in records["producer"].message
    assert (
        records["consumer"].phase == StepPhase.FAILED
        and "'big' was never published" in records["consumer"].message
    )


def test_a_step_output_larger_than_the_cap_is_not_kept(h: Harness) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "big"},
        "data": {"k": "x" * 100_000},
    }
    read = {"apiVersion": "v1", "kind": "ConfigMap", "name": "big", "namespace": "default"}
    twelve = ", ".join(["value"] * 12)  # twelve references to a 100 KB object: 1.2 MB once stored
    steps = [
        {"name": "create", "type": "apply-object", "properties": {"value": config}},
        {
            "name": "read",
            "type": "read-object",
            "properties": read,
            "outputs": [
                {"name": "big", "valueFrom": f"[{twelve}]"},
                {"name": "small", "valueFrom": "value.data.k"},
            ],
        },
    ]
    app = h.up(application(steps))
    record = h.store.steps(h.store.latest_run(app.id).id)["read"]  # type: ignore[union-attr]
    assert "output big: valueFrom" in record.message
    assert "gives a value larger than 1 MiB (the cap)" in record.message
    assert list(h.store.latest_run(app.id).values) == ["small"]  # type: ignore[union-attr]


def test_a_component_output_building_a_huge_value_fails_its_step_naming_component_and_cap(h: Harness) -> None:
    web = {
        "name": "api",
        "type": "webservice",
        "properties": {"image": "shop/api:1"},
        "outputs": [{"name": "big", "valueFrom": "output.metadata.name * 1000000"}],
    }
    app = h.up(
        application(
            [{"name": "deploy", "type": "apply-component", "properties": {"component": "api"}}], [web]
        )
    )
    record = h.store.steps(h.store.latest_run(app.id).id)["deploy"]  # type: ignore[union-attr]
    assert record.phase == StepPhase.FAILED
    assert "component 'api' output 'big'" in record.message
    assert "'*' would build a value larger than 1 MiB (the cap)" in record.message


@pytest.mark.parametrize(("bomb", "error"), STATIC_BOMBS, ids=[b for b, _ in STATIC_BOMBS])
def test_an_application_with_an_expression_outside_the_language_is_refused_at_submit(
    h: Harness, bomb: str, error: str
) -> None:
    text = application([say("first"), say("check", **{"if": f"{bomb} == ''"})])
    app = parse_application(read_text(text, "app.yaml")[0])
    with pytest.raises(ValidationError, match=rf"app.yaml:1: spec.workflow.steps\[1\].if: {error}"):
        check_application(app, h.registry)  # what `vessel up` and `vessel dry-run` run first
    with pytest.raises(ValidationError, match=rf"spec.workflow.steps\[1\].if: {error}"):
        h.submit(text)  # and what any other client of the controller meets
    assert h.store.apps() == []


def test_an_output_outside_the_language_is_refused_at_submit(h: Harness) -> None:
    producer = say("producer", outputs=[{"name": "big", "valueFrom": "message.ljust(10 ** 9)"}])
    with pytest.raises(
        ValidationError, match=r"spec.workflow.steps\[0\].outputs\[0\].valueFrom: calling 'ljust'"
    ):
        h.submit(application([producer]))


GIGABYTE_BOMBS = [  # each would take a gigabyte or more if it were built
    "'x' * 10 ** 9",
    "'%*s' % (10 ** 9, 'x')",
    "[0] * 10 ** 8",
    "range(10 ** 9) | list",
    "(['x' * 100000] * 10000) | join",
    "(2 ** 1000) ** 1000 ** 3",
    "inputs.s.replace('x', 'x' * 30000)",  # inputs.s is 40,000 characters: 1.2 GB once replaced
    "inputs.s | replace('x', 'x' * 30000)",
    "inputs.s.join(inputs.l)",  # inputs.l is 30,000 items: 1.2 GB once joined
    "inputs.l | join(inputs.s)",
]
INPUTS = {"s": "x" * 40_000, "l": ["y"] * 30_000}


def test_this_process_memory_stays_flat_while_expression_bombs_are_evaluated() -> None:
    before = rss_peak()
    for bomb in GIGABYTE_BOMBS:
        with pytest.raises(OverCapError):
            holds(f"({bomb}) == 0", {}, INPUTS, "check")
        rules = StatusRules(f"({bomb}) == 0", f"{{{{ ({bomb}) | length }}}}", Location(), "bomb")
        assert not rules.evaluate({"context": {}, "inputs": INPUTS}).healthy
    assert rss_peak() - before < 16 * MIB
