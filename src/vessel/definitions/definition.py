"""A loaded definition: what gives a component, trait, policy or workflow-step type its meaning."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: a module that names a Kind must not import JSON Schema and Jinja2
    from vessel.definitions.parameters import Parameters
    from vessel.definitions.template import StatusRules, Template


class Kind(StrEnum):
    COMPONENT = "ComponentDefinition"
    TRAIT = "TraitDefinition"
    POLICY = "PolicyDefinition"
    WORKFLOW_STEP = "WorkflowStepDefinition"

    @property
    def noun(self) -> str:
        return {
            "ComponentDefinition": "component",
            "TraitDefinition": "trait",
            "PolicyDefinition": "policy",
            "WorkflowStepDefinition": "workflow step",
        }[self.value]


@dataclass(frozen=True)
class Workload:
    """The kind of object a component definition's main output is (KubeVela's `spec.workload`)."""

    api_version: str | None = None
    kind: str | None = None
    type: str | None = None  # e.g. "deployments.apps"


@dataclass(frozen=True)
class Definition:
    kind: Kind
    name: str
    parameters: Parameters = field(compare=False)
    templates: Mapping[str, Template] = field(compare=False)
    description: str = ""
    workload: Workload | None = None
    applies_to_workloads: tuple[str, ...] = ()
    conflicts_with: tuple[str, ...] = ()
    pod_disruptive: bool = False
    status: StatusRules | None = field(default=None, compare=False)
    labels: Mapping[str, str] = field(default_factory=dict, compare=False)
    origin: str = "builtin"  # "builtin", a file path, or "entry point NAME"
    version: str | None = None  # `spec.version`: an Application pins it as `type: NAME@vVERSION`
    digest: str = ""  # sha256 of the canonical document: what a revision snapshots
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    outputs: Mapping[str, str] = field(default_factory=dict, compare=False)  # a step's, name -> meaning
    refused: str = ""  # why Vessel refuses this type at submit, and what to use instead ("" if it does not)

    @property
    def target_types(self) -> tuple[str, ...]:
        return tuple(self.templates)
