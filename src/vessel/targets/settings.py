"""Target settings (`TargetInfo.config`): which keys each target type takes, and reading them.

Every built-in target type declares its settings here, once (`DECLARED`): the key, what kind of value it
holds and what it means. `check` refuses a key the type does not declare, listing the valid ones, and a
value of the wrong kind — `factory.create` calls it, so `vessel target add --config` and a target read
back from the store are judged alike, and `vessel target add --help` lists the same table. A plugin's
target type declares its own settings as a `settings` attribute on its factory (without one, its keys
are not checked here; its constructor still judges them).

Values arrive typed (from a file, the store) or as text (`vessel target add --config grace=5`); both are
accepted, and a wrong one is an error naming the setting — so `1.30` stays the text it was written as.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from vessel.errors import Location, ValidationError
from vessel.model.kube_version import parse_kube_version
from vessel.targets.protocol import TargetInfo

_TRUE, _FALSE = ("true",), ("false",)


@dataclass(frozen=True)
class Setting:
    """One key a target type takes: `kind` is what its value must be (see `_CHECKS`)."""

    key: str
    kind: str  # text | path | flag | seconds | seconds-or-zero | kube-version
    meaning: str


_PATH = Setting("path", "path", "directory for the target's state or files")
_CLUSTER_VERSION = Setting("clusterVersion", "kube-version", "Kubernetes version to render for (1.27)")

DECLARED: Mapping[str, tuple[Setting, ...]] = {
    "local": (
        _PATH,
        Setting("ports", "text", "port range for replicas, FIRST-LAST (default 20000-20999)"),
        Setting("grace", "seconds-or-zero", "seconds a process gets to stop before SIGKILL (default 5)"),
        Setting("minReadySeconds", "seconds-or-zero", "seconds a replica must run to be ready (default 1)"),
        Setting("cgroups", "flag", "a cgroup v2 per replica where the machine allows it (default true)"),
    ),
    "directory": (_PATH, _CLUSTER_VERSION),
    "kubernetes": (
        Setting("kubeconfig", "path", "kubeconfig file (default: in-cluster, $KUBECONFIG, ~/.kube/config)"),
        Setting("context", "text", "kubeconfig context (default: its current one)"),
        Setting("namespace", "text", "namespace for objects that name none"),
        Setting("createNamespaces", "flag", "create a missing namespace first (default true)"),
        Setting("timeout", "seconds", "seconds per request (default 10)"),
    ),
    "memory": (_CLUSTER_VERSION,),
}


def check(info: TargetInfo, declared: Sequence[Setting]) -> None:
    """Refuse a key `declared` does not list, and a value that is not of its setting's kind."""
    known = {s.key: s for s in declared}
    for key in info.config:
        if key not in known:
            valid = ", ".join(known) or "none"
            raise ValidationError(
                f"target {info.name!r} ({info.type}) has no setting {key!r}",
                Location(path=f"config.{key}"),
                hint=f"valid settings: {valid}",
            )
        _CHECKS[known[key].kind](info, key)


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


def text(info: TargetInfo, key: str) -> str | None:
    """A non-empty text setting, or None when not set."""
    value = info.config.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise ValidationError(
            f"target {info.name!r}: {key} must be a non-empty string", Location(path=f"config.{key}")
        )
    return value


def path(info: TargetInfo, key: str) -> None:
    value = info.config.get(key)
    if value is not None and (not isinstance(value, str | os.PathLike) or not str(value)):
        raise ValidationError(f"target {info.name!r}: {key} must be a path", Location(path=f"config.{key}"))


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


_CHECKS: Mapping[str, Callable[[TargetInfo, str], object]] = {
    "text": text,
    "path": path,
    "flag": lambda info, key: flag(info, key, False),
    "seconds": lambda info, key: seconds(info, key, 1.0),
    "seconds-or-zero": lambda info, key: seconds(info, key, 0.0, allow_zero=True),
    "kube-version": lambda info, key: cluster_version(info),
}
