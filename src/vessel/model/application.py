"""The Application model: typed, immutable objects for KubeVela's `core.oam.dev/v1beta1` Application.

Everything here is data. Property trees are `FrozenDict`/tuples (see `frozen.py`); each object keeps the
field path it was read from, so later layers (definitions, render, workflow) can point errors at the
exact line of the user's file through `Application.source`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from vessel.errors import Location
from vessel.model.frozen import EMPTY, FrozenDict, freeze, thaw
from vessel.model.paths import Path
from vessel.model.strictness import tolerates_unknown
from vessel.model.yaml_source import SourceMap


class Mode(StrEnum):
    STEP_BY_STEP = "StepByStep"
    DAG = "DAG"


@dataclass(frozen=True)
class Input:
    """Take the value named `source` (an output of another component or step) into `parameter_key`."""

    source: str
    parameter_key: str | None = None


@dataclass(frozen=True)
class Output:
    """Publish `value_from` (an expression over the rendered/live object) under `name`."""

    name: str
    value_from: str


@dataclass(frozen=True)
class Trait:
    type: str
    properties: FrozenDict = EMPTY
    path: Path = field(default=(), compare=False)


@dataclass(frozen=True)
class Component:
    name: str
    type: str
    properties: FrozenDict = EMPTY
    traits: tuple[Trait, ...] = ()
    depends_on: tuple[str, ...] = ()
    inputs: tuple[Input, ...] = ()
    outputs: tuple[Output, ...] = ()
    external_revision: str | None = None  # names the component's revision (`context.revision`) itself
    replica_key: str = ""  # set by a `replication` policy on each copy: templates see `context.replicaKey`
    path: Path = field(default=(), compare=False)

    @property
    def instance(self) -> str:
        """What names this copy of the component in reports and the inventory: `name`, or
        `name@key` for a replica (copies share the name their templates see)."""
        return f"{self.name}@{self.replica_key}" if self.replica_key else self.name


def component_of(instance: str) -> str:
    """The component an inventory entry's `component` (a `Component.instance`) belongs to."""
    return instance.partition("@")[0]


@dataclass(frozen=True)
class Policy:
    name: str
    type: str
    properties: FrozenDict = EMPTY
    path: Path = field(default=(), compare=False)


@dataclass(frozen=True)
class Step:
    """A workflow step; a `step-group` holds `sub_steps` (which never hold their own)."""

    name: str
    type: str
    properties: FrozenDict = EMPTY
    if_: str | None = None
    timeout: str | None = None
    depends_on: tuple[str, ...] = ()
    inputs: tuple[Input, ...] = ()
    outputs: tuple[Output, ...] = ()
    sub_steps: tuple[Step, ...] = ()
    alias: str | None = None
    path: Path = field(default=(), compare=False)


@dataclass(frozen=True)
class Workflow:
    steps: tuple[Step, ...] = ()
    mode: Mode = Mode.STEP_BY_STEP
    sub_step_mode: Mode = Mode.DAG
    ref: str | None = None


@dataclass(frozen=True)
class Application:
    name: str
    components: tuple[Component, ...]
    namespace: str = "default"
    labels: FrozenDict = EMPTY
    annotations: FrozenDict = EMPTY
    policies: tuple[Policy, ...] = ()
    workflow: Workflow | None = None
    document: FrozenDict = field(default=EMPTY, compare=False, repr=False)  # as written: what revisions store
    source: SourceMap = field(default_factory=lambda: SourceMap(None), compare=False, repr=False)
    notes: tuple[str, ...] = field(default=(), compare=False)  # what was read but ignored, said once

    @property
    def tolerates_unknown(self) -> bool:
        """Whether unknown properties are dropped with a warning instead of refused (`strictness.py`)."""
        return tolerates_unknown(self.annotations)

    def annotated(self, key: str, value: str) -> Application:
        """This Application with one more annotation (in its document too, so revisions record it)."""
        annotations = freeze({**self.annotations, key: value})
        document = thaw(self.document)
        document.setdefault("metadata", {}).setdefault("annotations", {})[key] = value
        return replace(self, annotations=annotations, document=freeze(document))

    def in_namespace(self, namespace: str) -> Application:
        """This Application delivered into `namespace` instead of its file's (`vessel up -n`, like `vela
        up -n`); its document says so too, so the revision records where it went."""
        document = thaw(self.document)
        document.setdefault("metadata", {})["namespace"] = namespace
        return replace(self, namespace=namespace, document=freeze(document))

    def locate(self, path: Path) -> Location:
        """Where `path` (e.g. a component's path plus `("properties", "image")`) is in the user's file."""
        return self.source.locate(path)

    def where(self, path: Path) -> Callable[[], Location]:
        """`locate`, deferred until an error needs it."""
        return functools.partial(self.source.locate, path)

    def locator(self, prefix: Path) -> Callable[[Path], Location]:
        """A function that locates paths below `prefix` (for errors inside a properties tree)."""
        return lambda path: self.source.locate((*prefix, *path))

    def component(self, name: str) -> Component:
        for comp in self.components:
            if comp.name == name:
                return comp
        raise KeyError(name)
