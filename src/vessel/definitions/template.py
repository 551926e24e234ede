"""Templates: what turns a definition's `parameter` and `context` into data.

A template is anything with `render(variables) -> dict`. `JinjaTemplate` is the YAML-file kind (see
`sandbox.py` for its guarantees). Where it runs is decided once, from its text: a template in the
bounded language (`bounded_check.py`: no loops or macros) renders in this process with every operation
size-checked; any other runs in a template worker process under CPU-time and memory limits
(`worker.py`). Both return the same skeleton and slot values, filled into data here. `PythonTemplate`
wraps a plugin's function (trusted code, in-process). Errors carry the definition file and the line
inside it where the template failed.

`StatusRules` are a definition's `healthPolicy` and `customStatus`, in the bounded language only: they
run on every reconcile pass, and are checked when the definition loads — except a revision's snapshot,
checked when its definition was accepted, whose rules are compiled when first evaluated.

Jinja2 and the machinery around it are imported when a template or a rule is first compiled, not with
this module: reading a revision's definitions (`vessel status` of an application on a target that only
stores objects) compiles neither.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from vessel.definitions.limits import DEFAULT_LIMITS, RenderLimits
from vessel.errors import (
    DefinitionError,
    Location,
    OverCapError,
    RenderError,
    RenderRefusedError,
    TemplateWorkerError,
)

if TYPE_CHECKING:
    import yaml

    from vessel.definitions.expressions import BoundedTemplate, Expression, Message
    from vessel.definitions.worker_protocol import Reply


class Template(Protocol):
    def render(self, variables: Mapping[str, Any], limits: RenderLimits = ...) -> dict[str, Any]: ...


def _line_offset(origin: Location, template_line: int | None) -> Location:
    if template_line is None or origin.line is None:
        return origin
    return Location(origin.file, origin.line + template_line, origin.path)


class JinjaTemplate:
    """A sandboxed Jinja2 template whose output is read back as one YAML mapping."""

    def __init__(self, source: str, name: str, origin: Location):
        self.source = source
        self.name = name
        self.origin = origin  # the definition file and the line the template text starts after
        self._checked = False
        self._here: BoundedTemplate | None = None

    def compile(self) -> None:
        """Check the syntax and decide where the template runs, once (lazily: built-ins an app never
        uses cost nothing). Only the bounded kind is compiled here; workers compile the others."""
        if self._checked:
            return
        from vessel.definitions.bounded_check import NotBounded
        from vessel.definitions.bounded_env import BOUNDED_DATA_ENV
        from vessel.definitions.expressions import bounded_template, parse_template

        try:
            ast = parse_template(BOUNDED_DATA_ENV, self.source)
        except NotBounded as exc:
            raise DefinitionError(f"template {exc}", _line_offset(self.origin, exc.lineno)) from None
        self._here = bounded_template(ast, self.name)
        self._checked = True

    @property
    def runs_in_worker(self) -> bool:
        self.compile()
        return self._here is None

    def render(self, variables: Mapping[str, Any], limits: RenderLimits = DEFAULT_LIMITS) -> dict[str, Any]:
        import jinja2
        import yaml

        from vessel.definitions.slots import OverBudget, SlotError, fill

        self.compile()
        if self._here is not None:
            text, values = self._render_here(self._here, variables, limits)
        else:
            text, values = self._render_in_worker(variables, limits)
        try:
            data = fill(text, values, limits.values, limits.output_bytes, limits.nesting)
        except yaml.MarkedYAMLError as exc:
            raise self._bad_output(text, exc) from None
        except OverBudget as exc:
            raise OverCapError(f"template {self.name}: {exc}", self.origin) from None
        except SlotError as exc:
            raise RenderError(f"template {self.name}: {exc}", self.origin) from None
        except jinja2.UndefinedError as exc:
            raise RenderError(
                f"template {self.name}: undefined value inside an emitted value: {exc.message}", self.origin
            ) from None
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise RenderError(
                f"template {self.name} must produce a mapping, got {type(data).__name__}", self.origin
            )
        return data

    def _render_here(
        self, template: BoundedTemplate, variables: Mapping[str, Any], limits: RenderLimits
    ) -> tuple[str, list[Any]]:
        import jinja2
        from jinja2.exceptions import SecurityError

        from vessel.definitions.expressions import evaluation
        from vessel.definitions.sandbox import AuthorFailure, LimitExceeded, TemplateFailure, run_with_limits
        from vessel.definitions.slots import Collecting

        try:
            with Collecting() as collected, evaluation(limits, limits.output_bytes):
                text = run_with_limits(template.generate(variables), limits)
            return text, collected.values
        except AuthorFailure as exc:
            raise RenderRefusedError(str(exc), self._where(exc)) from None
        except LimitExceeded as exc:
            raise OverCapError(f"template {self.name}: {exc}", self._where(exc)) from None
        except jinja2.UndefinedError as exc:
            raise RenderError(f"undefined value: {exc.message}", self._where(exc)) from None
        except (TemplateFailure, SecurityError, jinja2.TemplateError) as exc:
            raise RenderError(f"template error: {exc}", self._where(exc)) from None
        except (TypeError, ValueError, KeyError, IndexError, ArithmeticError, AttributeError) as exc:
            raise RenderError(f"template error: {type(exc).__name__}: {exc}", self._where(exc)) from None

    def _where(self, exc: BaseException) -> Location:
        from vessel.definitions.sandbox import template_line

        return _line_offset(self.origin, template_line(exc, self.name))

    def _render_in_worker(self, variables: Mapping[str, Any], limits: RenderLimits) -> tuple[str, list[Any]]:
        from vessel.definitions import slots
        from vessel.definitions.worker_pool import POOL
        from vessel.definitions.worker_protocol import Job

        try:
            reply = POOL.render(Job(self.name, self.source, dict(variables), limits, slots.MARK))
        except (OverCapError, TemplateWorkerError) as exc:  # the worker died: where is this template
            raise type(exc)(exc.message, self.origin, exc.hint) from None
        if reply.failure:
            raise self._failed(reply)
        return reply.text, reply.values

    def _failed(self, reply: Reply) -> Exception:
        from vessel.definitions.worker_protocol import OVER_CAP, REFUSED, SYNTAX

        where = _line_offset(self.origin, reply.line)
        if reply.failure == REFUSED:
            return RenderRefusedError(reply.message, where)
        if reply.failure == OVER_CAP:
            return OverCapError(f"template {self.name}: {reply.message}", where)
        if reply.failure == SYNTAX:
            return DefinitionError(reply.message, where)
        return RenderError(reply.message, where)

    def _bad_output(self, text: str, exc: yaml.MarkedYAMLError) -> RenderError:
        from vessel.definitions import slots
        from vessel.definitions.slots import MISPLACED

        mark = exc.problem_mark
        line_no = mark.line + 1 if mark else 0
        lines = text.splitlines()
        shown = lines[line_no - 1].strip() if 0 < line_no <= len(lines) else ""
        if slots.MARK in shown:
            return RenderError(f"template {self.name}: {MISPLACED}", self.origin)
        return RenderError(
            f"template {self.name} produced invalid YAML at output line {line_no}: {exc.problem} "
            f"(output line: {shown!r})",
            self.origin,
            hint="check the template's indentation and that each {{ }} stands where a YAML value goes",
        )


@dataclass(frozen=True)
class PythonTemplate:
    """A template provided by a Python plugin: `fn(parameter, context) -> dict`."""

    fn: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
    name: str

    def render(self, variables: Mapping[str, Any], limits: RenderLimits = DEFAULT_LIMITS) -> dict[str, Any]:
        try:
            result = self.fn(dict(variables["parameter"]), dict(variables["context"]))
        except Exception as exc:  # a plugin bug must surface as a render error, not a crash
            raise RenderError(f"plugin template {self.name} failed: {type(exc).__name__}: {exc}") from exc
        if not isinstance(result, dict):
            raise RenderError(f"plugin template {self.name} must return a dict, got {type(result).__name__}")
        return result


@dataclass(frozen=True)
class Status:
    """The outcome of evaluating a definition's status rules against a live object."""

    healthy: bool
    message: str = ""


class StatusRules:
    """`healthPolicy` (an expression) and `customStatus` (a message template) over live objects."""

    def __init__(
        self,
        health_policy: str | None,
        custom_status: str | None,
        origin: Location,
        definition: str = "",
        *,
        eager: bool = True,
    ):
        """Checked and compiled now; with `eager=False` (rules checked before: a revision's snapshot),
        when first evaluated."""
        self.health_policy = health_policy
        self.custom_status = custom_status
        self.definition = definition
        self._origin = origin
        self._compiled: tuple[Expression | None, Message | None] | None = None
        if eager:
            self._compile()

    def _compile(self) -> tuple[Expression | None, Message | None]:
        if self._compiled is None:
            from vessel.definitions.expressions import expression, message

            health = self._checked(self.health_policy, "healthPolicy", expression, self._origin)
            self._compiled = (
                health,
                self._checked(self.custom_status, "customStatus", message, self._origin),
            )
        return self._compiled

    @staticmethod
    def _checked(source: str | None, field: str, compile_: Callable[[str], Any], origin: Location) -> Any:
        if not source:
            return None
        from vessel.definitions.bounded_check import NotBounded

        try:
            return compile_(source)
        except NotBounded as exc:
            where = Location(origin.file, origin.line, f"{origin.path}.{field}" if origin.path else field)
            line = f" (line {exc.lineno})" if exc.lineno and exc.lineno > 1 else ""
            raise DefinitionError(
                f"{field}{line}: {exc}",
                where,
                hint="status rules are loop-free Jinja expressions; see docs/definitions.md",
            ) from None

    def evaluate(self, variables: Mapping[str, Any], limits: RenderLimits = DEFAULT_LIMITS) -> Status:
        """Both rules under one allowance: together they cannot build more than `expression_bytes`."""
        import jinja2

        from vessel.definitions.expressions import EvaluationFailed, bounded

        health, status_message = self._compile()
        field = "customStatus"
        try:
            with bounded(limits):
                text = status_message.run(variables) if status_message is not None else ""
                field = "healthPolicy"
                healthy = True if health is None else health.run(variables)
        except EvaluationFailed as exc:
            who = f"definition {self.definition}: " if self.definition else ""
            if exc.over_cap:
                return Status(False, f"{who}{field}: {exc}")
            return Status(False, f"status evaluation failed: {who}{field}: {exc}")
        if isinstance(healthy, jinja2.Undefined):
            healthy = False
        return Status(bool(healthy), text)
