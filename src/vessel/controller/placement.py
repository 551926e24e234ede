"""Where a revision delivers, and saying so when a new revision moves an application.

Placement is decided per revision, never per pass: a revision records the default target when it is
made (`revisions.default_target`), and every run of it — the first, a restart, a rollback to it, a run
resumed after a crash — places "no topology" (deploy without a topology policy, `apply-component` or
`apply-object` without `cluster`) there. So changing the default (`vessel target set-default`) never
moves an application already delivered; its next revision goes to the new default, and `vessel up`
shows the change (`Move`) instead of letting anyone guess.

`targets_of` predicts the targets a revision's workflow reaches from its steps, the same way the steps
place themselves (`Delivery.placements`, `target_or_default`, an env's placements for `deploy2env`).
A placement that cannot be worked out (an unknown target, a selector matching nothing) is left out
here: the step itself fails with the cause. Projects allow an application only the targets this finds
(`projects.targets_used`), so a step that places must be counted here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vessel.definitions.registry import Registry
from vessel.errors import VesselError
from vessel.model.application import Application, Step
from vessel.model.env_bindings import DEPLOY2ENV, env_of
from vessel.policies.envbinding import env_placements
from vessel.policies.topology import place
from vessel.workflow.delivery import Delivery
from vessel.workflow.plan import plan_for

if TYPE_CHECKING:
    from vessel.controller.controller import Controller

LOCAL = "local"
# Every step that reaches a target, by how it chooses it (a step type not here reaches none).
CLUSTER_STEPS = frozenset(  # its `cluster`, else the default target
    {
        "apply-component",
        "apply-object",
        "read-object",
        "apply-deployment",
        "build-push-image",
        "clean-jobs",
        "export2config",
        "export2secret",
        "generate-jdbc-connection",
    }
)
DEFAULT_STEPS = frozenset({"apply-application", "apply-application-in-parallel", "apply-remaining"})
TOPOLOGY_STEPS = frozenset({"export-data", "export-service"})  # their `topology` policy, else the default
RUNTIME_STEP = "deploy2runtime"  # its `clusters`, else every registered target but `local`
PLACING_STEPS = CLUSTER_STEPS | DEFAULT_STEPS | TOPOLOGY_STEPS | {"deploy", DEPLOY2ENV, RUNTIME_STEP}


@dataclass(frozen=True)
class Move:
    """A new revision delivers to other targets than the one before."""

    before: tuple[str, ...]
    after: tuple[str, ...]
    default_before: str
    default_after: str

    def describe(self) -> str:
        why = (
            f"the default target is now {self.default_after} (was {self.default_before})"
            if self.default_before != self.default_after
            else "its placement policies changed"
        )
        return f"{', '.join(self.before) or 'nowhere'} -> {', '.join(self.after) or 'nowhere'} ({why})"


def targets_of(controller: Controller, app_id: int, revision: int) -> tuple[str, ...]:
    """The targets the revision's workflow places components or objects on, sorted."""
    model, registry = controller.revision_context(app_id, revision)
    default = controller.placed_default(app_id, revision)
    return planned_targets(controller, model, registry, default, app_id, revision)


def planned_targets(
    controller: Controller,
    model: Application,
    registry: Registry,
    default: str,
    app_id: int = 0,
    revision: int = 0,
) -> tuple[str, ...]:
    """The targets `model`'s workflow would place components or objects on with `default` as the
    default target, sorted (for a revision, or for an application not stored yet)."""
    delivery = Delivery(
        controller.store,
        controller.targets,
        app_id,
        model,
        registry,
        revision,
        controller.clock.now(),
        default,
    )
    found: set[str] = set()
    for step, _ in plan_for(model).all_steps():
        if step.type in PLACING_STEPS:
            found.update(_step_targets(delivery, step))
    return tuple(sorted(found))


def _step_targets(delivery: Delivery, step: Step) -> Iterable[str]:
    properties = step.properties
    try:
        if step.type == "deploy":
            return [p.target for p, _ in delivery.placements(properties.get("policies", []))]
        if step.type == DEPLOY2ENV:
            env = env_of(delivery.app, step)
            return [p.target for p in env_placements(env, delivery.targets.infos(), delivery.default_target)]
        if step.type == RUNTIME_STEP:
            return _runtime_targets(delivery, properties.get("clusters"))
        if step.type in TOPOLOGY_STEPS and properties.get("topology"):
            return [p.target for p, _ in delivery.placements([str(properties["topology"])])]
    except VesselError:
        return []
    if step.type in CLUSTER_STEPS:
        return [delivery.target_or_default(properties.get("cluster") or None)]
    return [delivery.default_target]


def _runtime_targets(delivery: Delivery, clusters: object) -> list[str]:
    """deploy2runtime's, as it places itself (workflow/steps/whole_app.py)."""
    infos = delivery.targets.infos()
    if clusters is None:
        return sorted(t.name for t in infos if t.name != LOCAL)
    return [p.target for p in place({"clusters": clusters}, infos, delivery.default_target, RUNTIME_STEP)]


def move(controller: Controller, app_id: int, before: int, after: int) -> Move | None:
    """The change of targets from revision `before` to `after`, if any."""
    old, new = targets_of(controller, app_id, before), targets_of(controller, app_id, after)
    if old == new:
        return None
    return Move(old, new, controller.placed_default(app_id, before), controller.placed_default(app_id, after))
