"""Reading a target's settings (`TargetInfo.config`). Values arrive typed (from a file, the store) or as
text (`vessel target add --config grace=5`); both are accepted, and a wrong one is an error naming the
setting — so each target owns its settings' types, and `1.30` stays the text it was written as."""

from __future__ import annotations

from vessel.errors import Location, ValidationError
from vessel.model.kube_version import parse_kube_version
from vessel.targets.protocol import TargetInfo

_TRUE, _FALSE = ("true",), ("false",)


def flag(info: TargetInfo, key: str, default: bool) -> bool:
    value = info.config.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ValidationError(
        f"target {info.name!r}: {key} must be true or false, not {value!r}", Location(path=f"config.{key}")
    )


def seconds(info: TargetInfo, key: str, default: float, *, allow_zero: bool = False) -> float:
    value = info.config.get(key, default)
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or number != number or number < 0 or (number == 0 and not allow_zero):
        least = "zero or more" if allow_zero else "more than zero"
        raise ValidationError(
            f"target {info.name!r}: {key} must be a number of seconds, {least}, not {value!r}",
            Location(path=f"config.{key}"),
        )
    return number


def cluster_version(info: TargetInfo) -> str | None:
    """The `clusterVersion` setting (`1.27`, `v1.27.3`): what a target without a cluster of its own
    (directory, memory) renders for; None when not set."""
    raw = info.config.get("clusterVersion")
    if raw is None:
        return None
    if not isinstance(raw, str) or parse_kube_version(raw) is None:
        raise ValidationError(
            f"target {info.name!r}: clusterVersion must look like 1.27 or v1.27.3, not {raw!r}",
            Location(path="config.clusterVersion"),
        )
    return raw
