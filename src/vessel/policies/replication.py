"""KubeVela's `replication` policy: the components it selects are delivered once per key.

A `deploy` step listing a replication policy replaces each selected component by one copy per key (in
the order of the keys), after the step's override policies; templates see the key as
`context.replicaKey` and every object of a copy carries the label `app.oam.dev/replicaKey`. The copies
keep the component's name (`context.name`), so a definition meant to be replicated names its objects
with the key, as KubeVela's do; copies naming the same object are an error when they render. As in
KubeVela, the components nobody replicates come first, then the copies, policy by policy; a policy that
selects no component is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from vessel.errors import ValidationError
from vessel.model.application import Component, Policy
from vessel.policies.override import apply_overrides

REPLICATION = "replication"


def replicate(components: Sequence[Component], policies: Sequence[Policy]) -> tuple[Component, ...]:
    """`components` with those each replication policy selects replaced by their copies, one per key.
    Every policy selects from `components` as given (KubeVela's order: kept ones, then each policy's
    copies)."""
    if not policies:
        return tuple(components)
    copies: list[Component] = []
    replaced: set[str] = set()
    for policy in policies:
        keys = [str(k) for k in policy.properties.get("keys") or ()]
        selector = {str(n) for n in policy.properties.get("selector") or ()}
        chosen = [c for c in components if c.name in selector]
        if not chosen:
            known = ", ".join(c.name for c in components)
            raise ValidationError(
                f"replication policy {policy.name!r}: no component selected to replicate",
                hint=f"its selector names components; the application has: {known}",
            )
        copies += [replace(c, replica_key=key) for c in chosen for key in keys]
        replaced |= selector
    return tuple(c for c in components if c.name not in replaced) + tuple(copies)


def shape(components: Sequence[Component], chosen: Sequence[Policy]) -> tuple[Component, ...]:
    """The components a deploy step delivers under its `chosen` policies: overrides applied in order,
    then replication (KubeVela's order)."""
    shaped = tuple(components)
    for policy in chosen:
        if policy.type == "override":
            shaped = apply_overrides(shaped, policy.properties)
    return replicate(shaped, [p for p in chosen if p.type == REPLICATION])
