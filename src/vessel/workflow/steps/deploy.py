"""`deploy` and `apply-component`: deliver components and wait until they are healthy.

`deploy` applies every component under its topology/override policies to each placement (up to
`parallelism` placements at a time); with `auto: false` it first waits for approval (`vessel workflow
resume`). A step waiting on an unhealthy component says which, where, what its status says — naming
each unhealthy trait with its message (`trait gateway: …`) — and the latest cause its instances give
(probe failure, last exit, restarts). A component that is *failing* —
crash-looping, unable to start (see `diagnosis`) — is not waited for: it is an error of the step
(ComponentFailingError), retried with backoff `backoff.FAILING_WORKLOAD_ERRORS` times, after which the
step fails with the cause. The components' outputs are published to the run, so a later step's
components (and steps) can take them as inputs; `apply-component` waits until its component's inputs
are published.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from vessel.errors import ComponentFailingError, StoreUnavailableError, TransientError, ValidationError
from vessel.model.application import Component
from vessel.policies.topology import Placement, place
from vessel.workflow import backoff
from vessel.workflow.delivery import ComponentReport, Delivery
from vessel.workflow.step_api import Outcome, StepContext

HEALTH_POLL_SECONDS = 2.0


def deploy(ctx: StepContext) -> Outcome:
    if not ctx.properties.get("auto", True) and not ctx.state.get("approved"):
        return Outcome.suspend("waiting for approval: vessel workflow resume " + ctx.app.name)
    delivery: Delivery = ctx.services
    plan = delivery.placements(ctx.properties.get("policies", []))
    parallelism = max(1, int(ctx.properties.get("parallelism", 5)))
    results: list[tuple[list[ComponentReport], dict[str, Any]] | Exception] = []
    with ThreadPoolExecutor(max_workers=min(parallelism, len(plan) or 1)) as pool:
        futures = [pool.submit(_deliver, delivery, comps, placement, ctx.values) for placement, comps in plan]
        for future in futures:
            try:
                results.append(future.result())
            except Exception as exc:  # collected: one failing target must not hide the others' progress
                results.append(exc)
    return conclude(results)


def _deliver(
    delivery: Delivery, components: Sequence[Component], placement: Placement, values: Mapping[str, Any]
) -> tuple[list[ComponentReport], dict[str, Any]]:
    """One placement's delivery, in a worker thread: the applied marks it leaves waiting for this
    thread's next transaction are written before the thread ends (else they would be lost with it,
    leaving its objects `applying` — sent again by every pass)."""
    try:
        return delivery.deliver(components, placement, values)
    finally:
        with contextlib.suppress(StoreUnavailableError):  # lost then, as in a crash: applied again later
            delivery.store.write_marks()


def apply_component(ctx: StepContext) -> Outcome:
    delivery: Delivery = ctx.services
    name = ctx.properties["component"]
    comps = [c for c in delivery.app.components if c.name == name]
    if not comps:
        raise ValidationError(
            f"apply-component: no component named {name!r}",
            hint=f"components: {', '.join(c.name for c in delivery.app.components)}",
        )
    missing = [i.source for i in comps[0].inputs if i.source not in ctx.values]
    if missing:  # published by another component's step; rendering without it would deliver a wrong object
        return Outcome.wait(f"waiting for input {missing[0]!r} of component {name}", HEALTH_POLL_SECONDS)
    props = {"clusters": [ctx.properties["cluster"]]} if ctx.properties.get("cluster") else {}
    if ctx.properties.get("namespace"):
        props["namespace"] = ctx.properties["namespace"]
    placements = place(props, delivery.targets.infos(), delivery.default_target)
    results: list[tuple[list[ComponentReport], dict[str, Any]] | Exception] = []
    for placement in placements:
        try:
            results.append(
                delivery.deliver(comps, Placement(placement.target, placement.namespace), ctx.values)
            )
        except Exception as exc:
            results.append(exc)
    return conclude(results)


def conclude(results: list[tuple[list[ComponentReport], dict[str, Any]] | Exception]) -> Outcome:
    """The step's outcome from what each placement's delivery returned or raised."""
    errors = [r for r in results if isinstance(r, Exception)]
    for error in errors:
        if isinstance(error, StoreUnavailableError):  # not the step's failure: the engine handles it
            raise error
    terminal = [e for e in errors if not isinstance(e, TransientError)]
    if terminal:
        raise terminal[0]
    if errors:  # retried with backoff; every placement that worked is applied again (a no-op) meanwhile
        delivered = len(results) - len(errors)
        if delivered == 0 and len(errors) == 1:
            raise errors[0]
        others = f" ({delivered} other placement{'s' * (delivered != 1)} delivered)" if delivered else ""
        asked = [e.retry_after for e in errors if isinstance(e, TransientError) and e.retry_after]
        raise TransientError("; ".join(str(e) for e in errors) + others, retry_after=max(asked, default=None))
    reports = [rep for r in results if not isinstance(r, Exception) for rep in r[0]]
    unhealthy = [r for r in reports if not r.healthy]
    failing = [r for r in unhealthy if r.failing]
    if failing:
        first = failing[0]
        raise ComponentFailingError(
            f"component {first.component} on target {first.target} is failing: {first.failing}"
            + _more(failing),
            give_up_after=backoff.FAILING_WORKLOAD_ERRORS,
        )
    if unhealthy:
        first = unhealthy[0]
        detail = "; ".join(d for d in (first.message, first.cause) if d)
        return Outcome.wait(
            f"waiting for component {first.component} on target {first.target} to become "
            f"healthy{': ' + detail if detail else ''}{_more(unhealthy)}",
            HEALTH_POLL_SECONDS,
        )
    outputs: dict[str, Any] = {}
    for r in results:
        if not isinstance(r, Exception):
            outputs.update(r[1])
    return Outcome.succeeded({"outputs": outputs}, values=outputs)


def _more(reports: list[ComponentReport]) -> str:
    return f" (and {len(reports) - 1} more)" if len(reports) > 1 else ""


STEPS = {"deploy": deploy, "apply-component": apply_component}
