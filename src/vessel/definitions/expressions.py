"""Bounded expressions and status messages: parse and check once, evaluate often, in-process.

`if` conditions, `outputs[].valueFrom`, `healthPolicy` and `customStatus` are written in the bounded
language (`bounded_check.py`): loop-free Jinja whose every operation is size-checked
(`bounded_env.py`). They are checked when their definition loads or their Application is submitted,
and compiled once per distinct text into a cache bounded by entries and bytes, so an evaluation costs
tens of microseconds and no process round trip.

Failures come in two kinds, both `EvaluationFailed`: a cap was hit (`over_cap`), or the expression
failed on these inputs (a type error, `fail()`, a missing key in a strict context). Callers add who
(the definition, step or component) and decide what a failure means there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.environment import Template
from jinja2.exceptions import SecurityError
from jinja2.parser import Parser

from vessel.definitions.allowance import close_allowance, open_allowance, text_size
from vessel.definitions.bounded_check import NotBounded, check_expression, check_template
from vessel.definitions.bounded_env import BOUNDED_DATA_ENV, STATUS_ENV, BoundedEnvironment
from vessel.definitions.limits import DEFAULT_LIMITS, MIB, RenderLimits, reset_limits, size_text, with_limits
from vessel.definitions.lru import BoundedCache
from vessel.definitions.sandbox import LimitExceeded, TemplateFailure

CACHE_ENTRIES = 2048
CACHE_BYTES = 16 * MIB  # of expression text; compiled code is a few times that


class EvaluationFailed(Exception):
    """An expression or status message failed; `over_cap` when it was stopped by a cap."""

    def __init__(self, message: str, over_cap: bool = False):
        super().__init__(message)
        self.over_cap = over_cap


def parse_expression(source: str, limits: RenderLimits = DEFAULT_LIMITS) -> nodes.Expr:
    """The AST of an expression in the bounded language; NotBounded (with the line) if it is not."""
    _check_source(source, limits)
    try:
        parser = Parser(STATUS_ENV, source, state="variable")
        expression = parser.parse_expression()
        if not parser.stream.eos:
            raise NotBounded("unexpected text after the expression", parser.stream.current.lineno)
    except jinja2.TemplateSyntaxError as exc:
        raise NotBounded(f"syntax error: {exc.message}", exc.lineno) from None
    except RecursionError:
        raise NotBounded("nested too deeply", None) from None
    check_expression(expression, limits.expression_nodes)
    return expression


def parse_message(source: str, limits: RenderLimits = DEFAULT_LIMITS) -> nodes.Template:
    """The AST of a status message template in the bounded language; NotBounded if it is not."""
    _check_source(source, limits)
    template = parse_template(STATUS_ENV, source)
    check_template(template, limits.expression_nodes)
    return template


def parse_template(env: BoundedEnvironment | jinja2.Environment, source: str) -> nodes.Template:
    try:
        return env.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise NotBounded(f"syntax error: {exc.message}", exc.lineno) from None
    except RecursionError:
        raise NotBounded("nested too deeply", None) from None


def _check_source(source: str, limits: RenderLimits) -> None:
    if len(source) > limits.expression_source:
        raise NotBounded(f"longer than {size_text(limits.expression_source)} (the cap)", None)


class Expression:
    """A checked, compiled expression; `evaluate` returns its value (Undefined stays Undefined)."""

    def __init__(self, source: str):
        self.source = source
        body = [nodes.Assign(nodes.Name("result", "store"), parse_expression(source), lineno=1)]
        self._template = _compiled(nodes.Template(body, lineno=1))

    def evaluate(self, variables: Mapping[str, Any], limits: RenderLimits = DEFAULT_LIMITS) -> Any:
        with bounded(limits):
            return self.run(variables)

    def run(self, variables: Mapping[str, Any]) -> Any:
        """Evaluate inside a `bounded(...)` block the caller holds (several evaluations, one budget)."""
        context = self._template.new_context(dict(variables))
        for _ in self._template.root_render_func(context):
            pass
        return context.vars["result"]


class Message:
    """A checked, compiled status message template; `render` returns its text, stripped."""

    def __init__(self, source: str):
        self.source = source
        self._template = _compiled(parse_message(source))

    def render(self, variables: Mapping[str, Any], limits: RenderLimits = DEFAULT_LIMITS) -> str:
        with bounded(limits):
            return self.run(variables)

    def run(self, variables: Mapping[str, Any]) -> str:
        """Render inside a `bounded(...)` block the caller holds."""
        return "".join(self._template.generate(**variables)).strip()


def _compiled(ast: nodes.Template) -> Template:
    try:
        return STATUS_ENV.from_string(ast)
    except (SyntaxError, RecursionError, MemoryError):  # what Python's compiler refuses
        raise NotBounded("too complex to compile", None) from None


class BoundedTemplate:
    """A loop-free definition template, rendered in-process with slots like a worker would."""

    def __init__(self, template: Template):
        self._template = template

    def generate(self, variables: Mapping[str, Any]) -> Iterator[str]:
        return self._template.generate(**variables)


def bounded_template(ast: nodes.Template, name: str) -> BoundedTemplate | None:
    """The template compiled for in-process rendering if it is in the bounded language, else None.

    Compiled under `name`, so an error's traceback gives the template line (`sandbox.template_line`)."""
    try:
        check_template(ast, DEFAULT_LIMITS.expression_nodes)
    except NotBounded:
        return None
    env = BOUNDED_DATA_ENV
    try:
        code = env.compile(ast, name, name)
    except (SyntaxError, RecursionError, MemoryError):  # a worker will say what is wrong with it
        return None
    return BoundedTemplate(env.template_class.from_code(env, code, env.make_globals(None), None))


class evaluation:
    """Context manager: these limits and a fresh allowance for one bounded evaluation (by default
    `expression_bytes`; a loop-free template gets `output_bytes`, what a worker could build)."""

    def __init__(self, limits: RenderLimits, allowance: int | None = None):
        self.limits = limits
        self.allowance = limits.expression_bytes if allowance is None else allowance

    def __enter__(self) -> None:
        self._limits = with_limits(self.limits)
        self._allowance = open_allowance(self.allowance, self.limits.cpu_seconds)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        close_allowance(self._allowance)
        reset_limits(self._limits)


class bounded(evaluation):
    """An evaluation whose failures become EvaluationFailed."""

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        super().__exit__(kind, exc, tb)
        if exc is None or not isinstance(exc, Exception):
            return
        if isinstance(exc, jinja2.UndefinedError):
            raise EvaluationFailed(f"undefined value: {exc.message}") from None
        if isinstance(exc, LimitExceeded):
            raise EvaluationFailed(str(exc), over_cap=True) from None
        if isinstance(exc, MemoryError | RecursionError):
            raise EvaluationFailed("ran out of memory or stack", over_cap=True) from None
        if isinstance(exc, TemplateFailure | SecurityError | jinja2.TemplateError):
            raise EvaluationFailed(str(exc)) from None
        raise EvaluationFailed(f"{type(exc).__name__}: {exc}") from None


EXPRESSIONS: BoundedCache[Expression] = BoundedCache(CACHE_ENTRIES, CACHE_BYTES)
MESSAGES: BoundedCache[Message] = BoundedCache(CACHE_ENTRIES, CACHE_BYTES)


def expression(source: str) -> Expression:
    """The compiled expression for `source` (cached); NotBounded if it is not in the language."""
    return EXPRESSIONS.get_or_make(source, lambda: Expression(source), lambda _: len(source) + 512)


def message(source: str) -> Message:
    """The compiled status message for `source` (cached); NotBounded if it is not in the language."""
    return MESSAGES.get_or_make(source, lambda: Message(source), lambda _: len(source) + 512)


# `if: status.deploy-prod.phase`: step names may contain dashes, which Jinja would read as minus.
_DASHED = re.compile(r"\b(status|inputs)\.([A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)+)")


def condition(source: str) -> Expression:
    """A workflow step's `if` (other than `always`): `status.deploy-prod.phase` means
    `status["deploy-prod"].phase`."""
    return expression(_DASHED.sub(lambda m: f'{m.group(1)}["{m.group(2)}"]', source))


def checked_data(value: Any, limits: RenderLimits = DEFAULT_LIMITS) -> Any:
    """An expression's result that is going to be kept (an output): no larger than the cap as text."""
    if text_size(value, limits.expression_bytes) > limits.expression_bytes:
        cap = size_text(limits.expression_bytes)
        raise EvaluationFailed(f"gives a value larger than {cap} (the cap)", over_cap=True)
    return value
