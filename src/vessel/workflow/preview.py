"""What a revision would deliver where, without delivering: the placements `vessel dry-run` renders.

Each `deploy` step of the effective workflow contributes its topology placements with its override
and replication policies applied, exactly as delivery will do (each `deploy2env` step: its env's
placements, with the env's selector and patch); a workflow without deploy steps renders
once, in the Application's namespace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vessel.model.application import Application, Component, Step
from vessel.model.env_bindings import DEPLOY2ENV, ENVBINDING, env_of
from vessel.policies.envbinding import env_components, env_placements
from vessel.policies.replication import shape
from vessel.policies.topology import Labelled, Placement, place
from vessel.workflow.plan import plan_for

SELECTING = ("clusters", "clusterLabelSelector", "clusterSelector")


@dataclass(frozen=True)
class Preview:
    step: str | None
    placement: Placement | None
    components: tuple[Component, ...]
    selected: bool = False  # a topology named or selected the target (else it is the default target)
    topology: str | None = None  # the topology policy that placed it
    overridden: bool = False  # a deploy step without topology applied override policies

    def heading(self, app: str) -> str:
        """How `vela dry-run` heads what this placement renders: `NAME with topology T`, `NAME only with
        override policies`, or `NAME`."""
        if self.topology is not None:
            return f"{app} with topology {self.topology}"
        return f"{app} only with override policies" if self.overridden else app


def previews(app: Application, targets: Sequence[Labelled], default: str | None) -> list[Preview]:
    policies = {p.name: p for p in app.policies}
    found: list[Preview] = []
    for step, _ in plan_for(app).all_steps():
        if step.type == DEPLOY2ENV:
            found += _env_previews(app, step, targets, default)
        if step.type != "deploy":
            continue
        chosen = [policies[n] for n in step.properties.get("policies", ()) if n in policies]
        components = shape(app.components, chosen)
        named: list[tuple[str | None, Mapping[str, Any]]] = [
            (p.name, p.properties) for p in chosen if p.type == "topology"
        ]
        overridden = not named and any(p.type == "override" for p in chosen)
        for name, props in named or [(None, {})]:
            selected = any(props.get(key) for key in SELECTING)
            for placement in place(props, targets, default, name or "topology"):
                found.append(Preview(step.name, placement, components, selected, name, overridden))
    return found or [Preview(None, None, app.components)]


def _env_previews(
    app: Application, step: Step, targets: Sequence[Labelled], default: str | None
) -> list[Preview]:
    env = env_of(app, step)
    components = env_components(app.components, env)
    selected = bool((env.get("placement") or {}).get("clusterSelector"))
    return [Preview(step.name, p, components, selected) for p in env_placements(env, targets, default)]


def env_clusters(app: Application) -> list[str]:
    """The targets the envs of envbinding policies name (`clusterSelector.name`)."""
    envs = [e for p in app.policies if p.type == ENVBINDING for e in p.properties.get("envs", ())]
    names = [((e.get("placement") or {}).get("clusterSelector") or {}).get("name") for e in envs]
    return [str(n) for n in names if n]
