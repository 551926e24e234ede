"""The seam between the engine and step types: what a step is given, and what it answers.

A step type is a function `(StepContext) -> Outcome`. It must be idempotent — after a crash the step in
flight runs again — so it applies objects by deterministic name and sends HTTP calls with
`ctx.idempotency_key`. It never sleeps: to wait, it returns `Outcome.wait(...)` and the engine calls it
again later. Errors: raise TransientError (retried with backoff) or any other VesselError (the step
fails); or return `Outcome.failed` / `Outcome.retry` directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from vessel.model.application import Application, Step


@dataclass(frozen=True)
class Outcome:
    kind: str  # succeeded | failed | wait | retry | suspend
    message: str = ""
    outputs: Mapping[str, Any] = field(default_factory=dict)  # what `outputs[].valueFrom` can read
    retry_after: float | None = None  # wait/retry: seconds until the step is called again
    reason: str = ""
    resume_at: float | None = None  # suspend: resume by itself at this time
    values: Mapping[str, Any] = field(default_factory=dict)  # published to the whole run by name (inputs)
    give_up_after: int | None = None  # retry: consecutive failures before the step fails (None: default)

    @classmethod
    def succeeded(
        cls,
        outputs: Mapping[str, Any] | None = None,
        message: str = "",
        values: Mapping[str, Any] | None = None,
    ) -> Outcome:
        """`values` are published without an `outputs` entry: e.g. the outputs of the components applied."""
        return cls("succeeded", message, outputs or {}, values=values or {})

    @classmethod
    def failed(cls, message: str, reason: str = "Failed") -> Outcome:
        return cls("failed", message, reason=reason)

    @classmethod
    def wait(cls, message: str, retry_after: float = 2.0) -> Outcome:
        return cls("wait", message, retry_after=retry_after)

    @classmethod
    def retry(
        cls, message: str, retry_after: float | None = None, give_up_after: int | None = None
    ) -> Outcome:
        """A transient failure: called again after the backoff, or `retry_after` if that is longer; the
        step fails once `give_up_after` (default `backoff.MAX_ERRORS`) such failures came in a row."""
        return cls("retry", message, reason="Retrying", retry_after=retry_after, give_up_after=give_up_after)

    @classmethod
    def suspend(cls, message: str = "", resume_at: float | None = None) -> Outcome:
        return cls("suspend", message, resume_at=resume_at)


class Events(Protocol):
    def __call__(self, reason: str, message: str, warning: bool = False) -> None: ...


@dataclass
class StepContext:
    """Everything a step may use. `properties` are validated, defaults applied, inputs filled in."""

    app: Application
    step: Step
    properties: dict[str, Any]
    run_id: int
    revision: int
    attempt: int
    now: float
    values: Mapping[str, Any]  # outputs published by earlier steps and components, by name
    event: Events
    services: Any = None  # engine services for built-in steps (delivery, store access); None for plugins
    state: Mapping[str, Any] = field(default_factory=dict)  # what this step persisted so far (e.g. approval)

    @property
    def idempotency_key(self) -> str:
        """Stable across retries and crashes of this step in this run."""
        return f"vessel-{self.app.namespace}-{self.app.name}-run{self.run_id}-{self.step.name}"


StepFunction = Callable[[StepContext], Outcome]
