"""A template cannot change what it is given — `parameter`, `context` (a trait's `context.output` is the
workload being built) — in either place templates run: the in-process bounded language and a template
worker's full Jinja. Jinja's sandbox refuses `parameter.update(…)`; the same method taken from the type,
`dict.update(parameter, …)`, went through in a worker — also for a loop-free template, which the bounded
language's static check (no such call) sends to a worker. The bounded language refuses it twice: by
that static check, and by its run-time call guard (tested here on its own)."""

from __future__ import annotations

import pytest
from jinja2.exceptions import SecurityError

from vessel.definitions import JinjaTemplate, RenderLimits
from vessel.definitions.bounded_check import NotBounded
from vessel.definitions.bounded_env import BOUNDED_DATA_ENV, STATUS_ENV, BoundedEnvironment
from vessel.definitions.expressions import EvaluationFailed, expression
from vessel.errors import Location, RenderError

LOOP = "{% for _ in [1] %}{% endfor %}"  # a loop: the template runs in a worker, not in-process

MUTATIONS = [
    "dict.update(parameter, {'image': 'evil'})",
    "dict.setdefault(parameter, 'extra', 'evil')",
    "dict.pop(parameter, 'image')",
    "dict.clear(parameter)",
    "dict.popitem(parameter)",
    "(dict | attr('update'))(parameter, {'image': 'evil'})",
    "dict.update(context, {'name': 'evil'})",
    "parameter.update({'image': 'evil'})",
]


def render(source: str) -> dict:  # type: ignore[type-arg]
    template = JinjaTemplate(source, "test", Location("def.yaml", 10))
    parameter, context = {"image": "nginx"}, {"name": "c"}
    result = template.render({"parameter": parameter, "context": context}, RenderLimits())
    assert parameter == {"image": "nginx"} and context == {"name": "c"}, "the caller's inputs changed"
    return result


@pytest.mark.parametrize("where", ["loop-free", "with a loop"])
@pytest.mark.parametrize("mutation", MUTATIONS)
def test_a_template_cannot_change_its_inputs(where: str, mutation: str) -> None:
    source = (
        f"{LOOP if where == 'with a loop' else ''}{{% set _ = {mutation} %}}image: {{{{ parameter.image }}}}"
    )
    with pytest.raises(RenderError, match=r"(access to attribute '\w+' of '(type|dict)' object is unsafe)"):
        render(source)


def test_untouched_templates_still_read_their_inputs() -> None:
    assert render(f"{LOOP}image: {{{{ parameter.image }}}}") == {"image": "nginx"}
    assert render("image: {{ dict(parameter, tag='1').tag }}") == {"image": "1"}


@pytest.mark.parametrize("mutation", [m.replace("parameter", "output") for m in MUTATIONS[:6]])
def test_an_expression_cannot_change_the_live_object_it_reads(mutation: str) -> None:
    """Expressions (`if`, outputs, status rules) are refused such calls when they are compiled."""
    live = {"image": "nginx"}
    with pytest.raises((NotBounded, EvaluationFailed), match="not allowed here|unsafe"):
        expression(f"[{mutation}, output.image][1]").evaluate({"output": live})
    assert live == {"image": "nginx"}


@pytest.mark.parametrize("env", [BOUNDED_DATA_ENV, STATUS_ENV], ids=["templates", "expressions"])
@pytest.mark.parametrize("mutation", MUTATIONS[:6])
def test_the_bounded_languages_run_time_guard_refuses_too(env: BoundedEnvironment, mutation: str) -> None:
    parameter = {"image": "nginx"}
    with pytest.raises(SecurityError, match="unsafe|not allowed here"):
        env.from_string(f"{{{{ {mutation} }}}}").render(parameter=parameter)
    assert parameter == {"image": "nginx"}
