"""`deploy2env`: deliver the Application as one env of an `envbinding` policy sees it (deprecated in
KubeVela, still installed by it).

The env's components (patched and selected: `policies/envbinding.py`) are delivered to each of its
placements the way `deploy` delivers them. `parallel` changes nothing here: delivery already applies
every component whose dependencies are healthy in one pass.
"""

from __future__ import annotations

from typing import Any

from vessel.model.env_bindings import env_of
from vessel.policies.envbinding import env_components, env_placements
from vessel.workflow.delivery import ComponentReport, Delivery
from vessel.workflow.step_api import Outcome, StepContext, StepFunction
from vessel.workflow.steps.deploy import conclude


def deploy2env(ctx: StepContext) -> Outcome:
    delivery: Delivery = ctx.services
    env = env_of(delivery.app, ctx.step, ctx.properties)
    components = env_components(delivery.app.components, env)
    placements = env_placements(env, delivery.targets.infos(), delivery.default_target)
    results: list[tuple[list[ComponentReport], dict[str, Any]] | Exception] = []
    for placement in placements:
        try:
            results.append(delivery.deliver(components, placement, ctx.values))
        except Exception as exc:  # collected: one failing target must not hide the others' progress
            results.append(exc)
    return conclude(results)


STEPS: dict[str, StepFunction] = {"deploy2env": deploy2env}
