"""`suspend` (until `vessel workflow resume`, or for a `duration`) and `print-message-in-status`."""

from __future__ import annotations

from vessel.model.duration import parse_duration
from vessel.workflow.step_api import Outcome, StepContext


def suspend(ctx: StepContext) -> Outcome:
    duration = ctx.properties.get("duration")
    if duration:
        return Outcome.suspend(f"suspended for {duration}", resume_at=ctx.now + parse_duration(duration))
    return Outcome.suspend(f"suspended: resume with vessel workflow resume {ctx.app.name}")


def print_message(ctx: StepContext) -> Outcome:
    return Outcome.succeeded(message=str(ctx.properties.get("message", "")))


STEPS = {"suspend": suspend, "print-message-in-status": print_message}
