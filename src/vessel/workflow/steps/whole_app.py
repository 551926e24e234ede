"""`apply-application`, `apply-remaining`, `deploy2runtime`: KubeVela's deprecated whole-application steps.

KubeVela still installs them and older Applications use them. Each delivers a set of components the way
`apply-component` does (render, record, apply, wait until healthy; outputs published to the run):

- `apply-application` (and `apply-application-in-parallel`, the same here: delivery already applies
  every component whose dependencies are healthy in one pass): every component, to the default target;
- `apply-remaining`: every component but the `exceptions`, to the default target — an exception that
  names no component fails the step (a typo would otherwise deliver what was meant to be held back);
- `deploy2runtime`: every component to each target in `clusters`, or, without it, to every registered
  target but `local` (KubeVela's runtime clusters are the managed ones, not its control plane); no
  such target fails the step, saying how to register one.
(`deploy2env`, the last of them, delivers one env of an `envbinding` policy: `deploy2env.py`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vessel.errors import ValidationError
from vessel.model.application import Component
from vessel.policies.topology import Placement, place
from vessel.workflow.delivery import ComponentReport, Delivery
from vessel.workflow.step_api import Outcome, StepContext, StepFunction
from vessel.workflow.steps.deploy import conclude

LOCAL = "local"


def apply_application(ctx: StepContext) -> Outcome:
    delivery: Delivery = ctx.services
    return _deliver(ctx, delivery.app.components, _default_placements(delivery))


def apply_remaining(ctx: StepContext) -> Outcome:
    delivery: Delivery = ctx.services
    exceptions = list(ctx.properties.get("exceptions") or [])
    names = [c.name for c in delivery.app.components]
    unknown = [e for e in exceptions if e not in names]
    if unknown:
        raise ValidationError(
            f"apply-remaining: exceptions name no component: {', '.join(unknown)}",
            hint=f"components: {', '.join(names) or 'none'}",
        )
    remaining = tuple(c for c in delivery.app.components if c.name not in exceptions)
    return _deliver(ctx, remaining, _default_placements(delivery))


def deploy2runtime(ctx: StepContext) -> Outcome:
    delivery: Delivery = ctx.services
    clusters = ctx.properties.get("clusters")
    if clusters is None:
        clusters = sorted(t.name for t in delivery.targets.infos() if t.name != LOCAL)
        if not clusters:
            raise ValidationError(
                "deploy2runtime: no runtime target is registered (every target but local is one)",
                hint="register one with `vessel target add`, or name targets in clusters",
            )
    infos = delivery.targets.infos()
    placements = place({"clusters": clusters}, infos, delivery.default_target, "deploy2runtime")
    return _deliver(ctx, delivery.app.components, placements)


def _default_placements(delivery: Delivery) -> list[Placement]:
    return place({}, delivery.targets.infos(), delivery.default_target)


def _deliver(ctx: StepContext, components: Sequence[Component], placements: list[Placement]) -> Outcome:
    delivery: Delivery = ctx.services
    results: list[tuple[list[ComponentReport], dict[str, Any]] | Exception] = []
    for placement in placements:
        try:
            results.append(delivery.deliver(components, placement, ctx.values))
        except Exception as exc:  # collected: one failing target must not hide the others' progress
            results.append(exc)
    return conclude(results)


STEPS: dict[str, StepFunction] = {
    "apply-application": apply_application,
    "apply-application-in-parallel": apply_application,
    "apply-remaining": apply_remaining,
    "deploy2runtime": deploy2runtime,
}
