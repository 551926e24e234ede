"""A rendered resource and its identity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vessel.model.resource_key import ResourceKey

WORKLOAD = "WORKLOAD"
TRAIT = "TRAIT"
AUXILIARY = "AuxiliaryWorkload"  # KubeVela's trait type for a component definition's extra outputs


@dataclass(frozen=True)
class Resource:
    """One rendered object and where it came from (component, and the trait or output that made it)."""

    component: str
    body: dict[str, Any]
    resource_type: str = WORKLOAD  # WORKLOAD or TRAIT, as KubeVela labels it
    trait: str | None = None  # the trait type, or AUXILIARY for a component output
    output: str | None = None  # the `outputs` name that produced it

    @property
    def key(self) -> ResourceKey:
        return ResourceKey.of(self.body)

    @property
    def origin(self) -> str:
        """Human words for where this came from, as KubeVela's dry-run prints them."""
        if self.trait == AUXILIARY:
            return "the auxiliary workload"
        if self.trait:
            return f"the trait {self.trait}"
        return "the workload"
