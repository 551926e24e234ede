"""What a template may read from the target it renders for: the one door out of a pure render.

Rendering is pure (DESIGN.md), with one exception KubeVela's users rely on: a `helmchart` component's
`valuesFrom` takes the chart's values from a ConfigMap or Secret that lives in the cluster. So a template
that needs it implements `ReadingTemplate`, and the caller hands it a `TargetReads`:

* the deploy step, delivering to a target backed by a Kubernetes API server, passes a reader of that
  cluster (the target's own client);
* the deploy step, and the checks `vessel up` makes before delivering, pass `TargetReads(target, None)`
  for a target without a cluster (`local`, `directory`, `memory`): a template that needs to read says it
  cannot, naming the field — so `vessel up` refuses the application before anything is delivered;
* the checks `vessel up` makes before delivering to a cluster pass a lenient reader of it: what exists is
  read (a chart may require values only `valuesFrom` gives), what does not is skipped;
* previews (`vessel dry-run`, `vessel def show`, revision manifests) pass nothing: they read nothing from
  any cluster, as KubeVela's admission dry-run does not.

Jinja templates never see a reader: only trusted Python templates (plugins) implement `ReadingTemplate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from vessel.definitions.limits import RenderLimits
from vessel.model.resource_key import ResourceKey


class ObjectReader(Protocol):
    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        """The live object, or None if it does not exist."""
        ...


@dataclass(frozen=True)
class TargetReads:
    """The target a render is for, and a reader of its cluster (None: it has no cluster). `lenient`: a
    check before delivering, which reads what is there but refuses nothing for what is missing or cannot
    be read now (an earlier component may create it; the cluster may be back by then)."""

    target: str
    reader: ObjectReader | None = None
    lenient: bool = False


@runtime_checkable
class ReadingTemplate(Protocol):
    def render_reading(
        self, variables: Mapping[str, Any], limits: RenderLimits, reads: TargetReads | None
    ) -> dict[str, Any]:
        """Render, reading from the target through `reads` (None: a preview, which reads nothing)."""
        ...
