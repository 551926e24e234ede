"""Templates: what turns a definition's `parameter` and `context` into data.

A template is anything with `render(variables) -> dict`. `JinjaTemplate` is the YAML-file kind (see
`sandbox.py` for its guarantees); `PythonTemplate` wraps a plugin's function. Errors carry the
definition file and the line inside it where the template failed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jinja2
import yaml

from vessel.definitions.sandbox import (
    DATA_ENV,
    DEFAULT_LIMITS,
    STATUS_ENV,
    AuthorFailure,
    RenderLimits,
    TemplateFailure,
    evaluate_with_limits,
    run_with_limits,
)
from vessel.definitions.slots import MARK, MISPLACED, Collecting, SlotError, fill
from vessel.errors import DefinitionError, Location, RenderError, RenderRefusedError


class Template(Protocol):
    def render(self, variables: Mapping[str, Any], limits: RenderLimits = ...) -> dict[str, Any]: ...


def _line_offset(origin: Location, template_line: int | None) -> Location:
    if template_line is None or origin.line is None:
        return origin
    return Location(origin.file, origin.line + template_line, origin.path)


def _template_line(exc: BaseException, name: str) -> int | None:
    """The template line an exception came from, from Jinja's rewritten traceback."""
    line = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == name:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


class JinjaTemplate:
    """A sandboxed Jinja2 template whose output is read back as one YAML mapping."""

    def __init__(self, source: str, name: str, origin: Location):
        self.source = source
        self.name = name
        self.origin = origin  # the definition file and the line the template text starts after
        self._compiled: jinja2.Template | None = None

    def compile(self) -> jinja2.Template:
        """Compile once (lazily: built-ins that an app never uses cost nothing)."""
        if self._compiled is None:
            try:
                compiled = DATA_ENV.from_string(self.source)
            except jinja2.TemplateSyntaxError as exc:
                raise DefinitionError(
                    f"template syntax error: {exc.message}", _line_offset(self.origin, exc.lineno)
                ) from None
            compiled.name = compiled.filename = self.name
            self._compiled = compiled
        return self._compiled

    def render(self, variables: Mapping[str, Any], limits: RenderLimits = DEFAULT_LIMITS) -> dict[str, Any]:
        with Collecting() as slots:
            text = self._render_text(variables, limits)
        try:
            data = fill(text, slots.values, limits.values)
        except yaml.MarkedYAMLError as exc:
            raise self._bad_output(text, exc) from None
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

    def _render_text(self, variables: Mapping[str, Any], limits: RenderLimits = DEFAULT_LIMITS) -> str:
        try:
            return run_with_limits(self.compile().generate(**variables), limits)
        except AuthorFailure as exc:
            where = _line_offset(self.origin, _template_line(exc, self.name))
            raise RenderRefusedError(str(exc), where) from None
        except TemplateFailure as exc:
            raise RenderError(str(exc), _line_offset(self.origin, _template_line(exc, self.name))) from None
        except jinja2.UndefinedError as exc:
            where = _line_offset(self.origin, _template_line(exc, self.name))
            raise RenderError(f"undefined value: {exc.message}", where) from None
        except jinja2.TemplateError as exc:
            where = _line_offset(self.origin, _template_line(exc, self.name))
            raise RenderError(f"template error: {exc}", where) from None
        except (TypeError, ValueError, KeyError, IndexError, ArithmeticError, AttributeError) as exc:
            where = _line_offset(self.origin, _template_line(exc, self.name))
            raise RenderError(f"template error: {type(exc).__name__}: {exc}", where) from None

    def _bad_output(self, text: str, exc: yaml.MarkedYAMLError) -> RenderError:
        mark = exc.problem_mark
        line_no = mark.line + 1 if mark else 0
        lines = text.splitlines()
        shown = lines[line_no - 1].strip() if 0 < line_no <= len(lines) else ""
        if MARK in shown:
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

    def __init__(self, health_policy: str | None, custom_status: str | None, origin: Location):
        self.health_policy = health_policy
        self.custom_status = custom_status
        try:
            self._health = STATUS_ENV.compile_expression(health_policy) if health_policy else None
            self._message = STATUS_ENV.from_string(custom_status) if custom_status else None
        except jinja2.TemplateSyntaxError as exc:
            raise DefinitionError(f"status expression syntax error: {exc.message}", origin) from None

    def evaluate(self, variables: Mapping[str, Any], limits: RenderLimits = DEFAULT_LIMITS) -> Status:
        message = ""
        try:
            if self._message is not None:
                message = run_with_limits(self._message.generate(**variables), limits).strip()
            healthy = True if self._health is None else evaluate_with_limits(self._health, variables, limits)
        except (TemplateFailure, jinja2.TemplateError, TypeError, ValueError, ArithmeticError) as exc:
            return Status(False, f"status evaluation failed: {exc}")
        if isinstance(healthy, jinja2.Undefined):
            healthy = False
        return Status(bool(healthy), message)
