"""What a revision would deliver where, without delivering: the placements `vessel dry-run` renders.

Each `deploy` step of the effective workflow contributes its topology placements with its override
and replication policies applied, exactly as delivery will do; a workflow without deploy steps renders
once, in the Application's namespace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vessel.model.application import Application, Component
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
