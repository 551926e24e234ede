"""How strictly an Application's properties are read: the `app.vessel.dev/unknown-properties` annotation.

Vessel refuses a property its definition does not declare (KubeVela ignores it, so a typo like `cpus`
for `cpu` goes unnoticed: one of KubeVela's most reported problems). That stays the default (`error`).
An application brought from KubeVela that relies on being ignored can opt out, per application, with
`app.vessel.dev/unknown-properties: warn`: unknown properties are then dropped before rendering — the
template never sees them, as KubeVela's never does — and each is reported as a warning by `vessel up`,
`dry-run`, `status` and `vet`. Only unknown *properties* are tolerated: a wrong type, a missing required
field or an unknown field of the Application itself is an error either way.
"""

from __future__ import annotations

from collections.abc import Mapping

UNKNOWN_PROPERTIES = "app.vessel.dev/unknown-properties"
ERROR, WARN = "error", "warn"


def tolerates_unknown(annotations: Mapping[str, str]) -> bool:
    return annotations.get(UNKNOWN_PROPERTIES) == WARN


def mode_problem(annotations: Mapping[str, str]) -> str | None:
    """Why the annotation's value is not one Vessel knows, or None."""
    value = annotations.get(UNKNOWN_PROPERTIES, ERROR)
    return None if value in (ERROR, WARN) else f"expected {ERROR!r} or {WARN!r}, got {value!r}"
