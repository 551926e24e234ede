"""What a component's status rules, and its traits', see besides live objects: the status basis.

A health rule may read `parameter.*` and `context.*` as well as the live objects, so judging a component
the same way everywhere needs the same parameters and context everywhere. They are fixed when the
component is rendered — after override policies and workflow inputs changed its properties, for the
placement it was rendered for — and nothing later can work them out again for certain (which deploy
step's overrides placed this copy? which inputs did the run publish?). So delivery records the basis
with the component's workload in the inventory, and the steady-state loop and `vessel status` judge with
that record: no render and no store query per pass, and the verdict cannot differ from the deploy
step's for the same live objects.

`outputs` says which definition rendered each output, by its name (the inventory entry's `role`): the
component definition's own outputs (`AUXILIARY`) are what its rules see as `context.outputs`; a trait's
rules see only the outputs its type rendered (KubeVela's rule). Only the context fields status rules
are documented to see are kept (`STATUS_CONTEXT`), so a record stays small.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from vessel.model.frozen import thaw

# The `context` fields a status rule sees (besides `output`/`outputs`): KubeVela's base context labels
# (`name`, `appName`, `appRevision`) and where this copy was placed.
STATUS_CONTEXT = ("name", "appName", "appRevision", "namespace", "cluster")


@dataclass(frozen=True)
class TraitBasis:
    type: str
    parameter: Mapping[str, Any]


@dataclass(frozen=True)
class StatusBasis:
    type: str  # the component type (ComponentDefinition name)
    parameter: Mapping[str, Any]
    context: Mapping[str, Any]
    outputs: Mapping[str, str]  # output name -> the trait type that rendered it, or AUXILIARY
    traits: tuple[TraitBasis, ...] = ()

    @classmethod
    def of(
        cls,
        type_: str,
        parameter: Mapping[str, Any],
        context: Mapping[str, Any],
        outputs: Mapping[str, str],
        traits: Iterable[tuple[str, Mapping[str, Any]]] = (),
    ) -> StatusBasis:
        kept = {k: context[k] for k in STATUS_CONTEXT if k in context}
        return cls(type_, parameter, kept, dict(outputs), tuple(TraitBasis(t, p) for t, p in traits))

    def outputs_of(self, owner: str) -> tuple[str, ...]:
        """The names of the outputs `owner` (a trait type, or AUXILIARY) rendered."""
        return tuple(name for name, by in self.outputs.items() if by == owner)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "parameter": thaw(self.parameter),
            "context": thaw(self.context),
            "outputs": dict(self.outputs),
            "traits": [{"type": t.type, "parameter": thaw(t.parameter)} for t in self.traits],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StatusBasis:
        traits = tuple(TraitBasis(str(t["type"]), t.get("parameter") or {}) for t in data.get("traits") or ())
        return cls(
            str(data["type"]),
            data.get("parameter") or {},
            data.get("context") or {},
            {str(k): str(v) for k, v in (data.get("outputs") or {}).items()},
            traits,
        )
