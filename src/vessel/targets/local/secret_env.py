"""`env[].valueFrom.secretKeyRef` on the local target: a variable whose value is a secret on this machine.

In Kubernetes the kubelet resolves the reference from a Secret when it starts a container, and the value
never passes through Vessel. A process on this machine needs the value itself, so the local target reads
it where every secret Vessel uses lives — `$VESSEL_HOME/secrets/<name>/<key>` (`model.secret_files`) —
each time it starts a replica or runs an exec probe, and hands it to that process's environment only.
The manifest, the object's state file, the revision and the inventory keep the reference; the value is
remembered by `model.redaction`, so a message that quotes it shows `***`.

As in Kubernetes, a changed secret reaches the processes at their next (re)start: the reference, not the
value, is part of the process spec. An apply whose reference cannot be read is refused (the step fails
naming the variable and the file to create); `optional: true` leaves the variable unset instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vessel.errors import Location, NotFoundError, TargetRejectedError, VesselError
from vessel.model import secret_files


@dataclass(frozen=True)
class SecretKeyRef:
    variable: str
    name: str
    key: str
    optional: bool = False
    where: str = ""  # the field path of the env entry, for messages


def parse(variable: str, value_from: Any, where: str, component: str) -> SecretKeyRef:
    """The reference of an env entry's `valueFrom`; TargetRejectedError for any other source."""
    ref = value_from.get("secretKeyRef") if isinstance(value_from, Mapping) else None
    if not isinstance(ref, Mapping) or set(value_from) != {"secretKeyRef"}:
        raise TargetRejectedError(
            f"component {component!r}: env {variable} uses a valueFrom the local target cannot resolve",
            Location(path=f"{where}.valueFrom"),
            hint="give it a value, or a valueFrom.secretKeyRef (read from $VESSEL_HOME/secrets/NAME/KEY)",
        )
    name, key = ref.get("name"), ref.get("key")
    if not isinstance(name, str) or not isinstance(key, str):
        raise TargetRejectedError(
            f"component {component!r}: env {variable}: secretKeyRef needs a name and a key",
            Location(path=f"{where}.valueFrom.secretKeyRef"),
        )
    return SecretKeyRef(variable, name, key, bool(ref.get("optional", False)), where)


def value(ref: SecretKeyRef) -> str | None:
    """The secret's value (None when it is optional and missing); TargetRejectedError naming the
    variable and the file when it cannot be read."""
    where = Location(path=f"{ref.where}.valueFrom.secretKeyRef")
    try:
        return secret_files.read(ref.name, ref.key, where)
    except NotFoundError as exc:
        if ref.optional:
            return None
        raise TargetRejectedError(f"env {ref.variable}: {exc.message}", where, hint=exc.hint) from None
    except VesselError as exc:
        raise TargetRejectedError(f"env {ref.variable}: {exc.message}", where, hint=exc.hint) from None
