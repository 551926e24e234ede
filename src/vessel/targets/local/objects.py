"""The objects the local target runs, read from their manifests (`apiVersion: local.vessel.dev/v1`).

    kind: Service | Task | CronTask
    metadata: {name, namespace, labels: {app.oam.dev/name, app.oam.dev/component, ...}}
    spec:
      replicas: 2                 # Service (default 1)
      port: 8080                  # Service: the stable endpoint on 127.0.0.1
      minReadySeconds: 1          # Service: how long a replica must stay up before it counts as ready
                                  #   (default: the target's `minReadySeconds` setting, 1 s)
      count: 1                    # Task/CronTask: runs that must succeed (default 1), all at once
      restart: OnFailure          # Task/CronTask: Never (default) | OnFailure
      backoffLimit: 6             # Task/CronTask: retries with OnFailure
      schedule: "*/5 * * * *"     # CronTask; also timeZone, suspend
      template: {spec: {containers: [{command, args, env, workingDir, ports, readinessProbe, livenessProbe}]}}

The pod template is Kubernetes-shaped so that trait patches written for Deployments apply unchanged; of a
container, only what makes sense for a local process is used (image, resources, volume mounts are ignored).
`$(VAR)` in command, args and env values expands from the container's env like Kubernetes (`$$` escapes).
An env entry may take its value from `valueFrom.secretKeyRef`, read from this machine's secrets at each
start (`secret_env`); the manifest keeps only the reference.
`$(VESSEL_SOURCE_DIR)` is the directory of the Application file, which the target is told at apply (it is
never part of the manifest; see `source_dir`). Anything the target could not honour is rejected
with a TargetRejectedError that names the field.
"""

from __future__ import annotations

import hashlib
import json
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from vessel.errors import Location, TargetRejectedError
from vessel.model.resource_key import ResourceKey
from vessel.targets.local import probes, secret_env
from vessel.targets.local.cron import CronError, Schedule
from vessel.targets.local.environment import base as base_environment
from vessel.targets.local.secret_env import SecretKeyRef
from vessel.targets.protocol import APP_LABEL

API_VERSION = "local.vessel.dev/v1"
SERVICE = "Service"
TASK = "Task"
CRON_TASK = "CronTask"
KINDS = (SERVICE, TASK, CRON_TASK)
COMPONENT_LABEL = "app.oam.dev/component"
RESTART_POLICIES = ("Never", "OnFailure")
_CONTAINER = "spec.template.spec.containers[0]"
_PROCESS_FIELDS = ("command", "args", "env", "workingDir", "ports", "readinessProbe", "livenessProbe")
_REFERENCE = re.compile(r"\$\$|\$\(([^)]*)\)")


@dataclass(frozen=True)
class Container:
    """The process every replica runs."""

    command: tuple[str, ...]  # command + args, before $(VAR) expansion
    env: tuple[tuple[str, str | SecretKeyRef], ...]  # a value, or a secret read at each start
    working_dir: str  # relative to the object's work directory; "" for the directory itself
    ports: tuple[int, ...]  # containerPort values
    port_names: tuple[tuple[str, int], ...]
    readiness: probes.Probe | None
    liveness: probes.Probe | None

    def environment(self, port: int | None, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The variables the container sets, expanded in order, over `base` (what the target provides,
        such as VESSEL_SOURCE_DIR); PORT, when the replica has one, wins."""
        values: dict[str, str] = dict(base or {})
        if port is not None:
            values["PORT"] = str(port)
        for name, value in self.env:
            if isinstance(value, SecretKeyRef):
                found = secret_env.value(value)  # as Kubernetes: a secret's value is never expanded
                if found is not None:
                    values[name] = found
            else:
                values[name] = expand(value, values)
        if port is not None:
            values["PORT"] = str(port)
        return values

    def process_env(self, port: int | None, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The whole environment of a replica (or its exec probe): the local target's small base (see
        `environment`; never the `vessel` command's own), then the container's variables over `base`."""
        return {**base_environment(), **self.environment(port, base)}

    def argv(self, env: Mapping[str, str]) -> list[str]:
        return [expand(part, env) for part in self.command]

    def check_secrets(self) -> None:
        """TargetRejectedError when a `secretKeyRef` cannot be read now (before anything starts)."""
        for _, value in self.env:
            if isinstance(value, SecretKeyRef):
                secret_env.value(value)

    def refers_to(self, name: str) -> bool:
        """Whether the command, args or env values mention `$(name)`."""
        texts = [*self.command, *(value for _, value in self.env if isinstance(value, str))]
        return any(m.group(1) == name for text in texts for m in _REFERENCE.finditer(text))

    def probe_port(self, probe: probes.Probe, replica_port: int | None, declared: int | None) -> int | None:
        """The port a probe checks. A replica listens on its PORT, so a probe naming the workload's port —
        the declared port, a container port or a port's name — checks PORT, and so does any port when
        the workload declares none at all; a number that is not declared but others are is used as is."""
        if isinstance(probe.port, str):
            named = dict(self.port_names).get(probe.port)
            return replica_port if replica_port is not None or named is None else named
        if probe.port is None or replica_port is None:
            return replica_port if probe.port is None else probe.port
        if probe.port in self.ports or probe.port == declared or (not self.ports and declared is None):
            return replica_port
        return probe.port


@dataclass(frozen=True)
class Workload:
    key: ResourceKey
    kind: str
    app: str
    component: str
    replicas: int  # Service replicas; Task/CronTask runs (`count`)
    port: int | None
    min_ready: float | None  # seconds a replica must stay up to count as ready; None: the target's default
    restart: str
    backoff_limit: int
    schedule: Schedule | None
    zone: tzinfo | None
    suspend: bool
    container: Container
    fingerprint: str  # of the process-relevant spec: a change replaces the processes

    @property
    def uses_ports(self) -> bool:
        """Service replicas always get a PORT; tasks only when they declare a port."""
        return self.kind == SERVICE or self.port is not None or bool(self.container.ports)

    @property
    def declares_port(self) -> bool:
        """Whether it says it listens at all (a port, or container ports): only then is it reachable.
        A worker gets a PORT like every replica, but nothing promises it listens there."""
        return self.port is not None or bool(self.container.ports)


def parse(manifest: Mapping[str, Any], target: str) -> Workload:
    """The workload a manifest describes, or TargetRejectedError saying what the local target cannot run."""
    key = ResourceKey.of(manifest)
    if key.api_version != API_VERSION or key.kind not in KINDS:
        kind = key.kind or "an object without a kind"
        raise TargetRejectedError(
            f"{key}: the local target cannot run {kind}; it needs a Kubernetes target",
            hint=f"target {target!r} runs only {', '.join(KINDS)} of {API_VERSION}; place this on a cluster",
        )
    meta = manifest.get("metadata") or {}
    labels = meta.get("labels") or {}
    if not key.name:
        raise TargetRejectedError("the object has no name", Location(path="metadata.name"))
    component = str(labels.get(COMPONENT_LABEL) or key.name)
    spec = manifest.get("spec") or {}
    if not isinstance(spec, Mapping):
        raise TargetRejectedError(f"{key}: spec must be a mapping", Location(path="spec"))
    container_raw = _container(spec, key, component, target)
    container = _parse_container(container_raw, key, component, target)
    kind = key.kind
    schedule, zone = None, None
    if kind == CRON_TASK:
        schedule, zone = _schedule(spec, key)
    fingerprint = hashlib.sha256(
        json.dumps({f: container_raw.get(f) for f in _PROCESS_FIELDS}, sort_keys=True, default=str).encode()
    ).hexdigest()[:16]
    restart = str(spec.get("restart") or "Never")
    if kind != SERVICE and restart not in RESTART_POLICIES:
        raise TargetRejectedError(
            f"{key}: restart must be Never or OnFailure, not {restart!r}", Location(path="spec.restart")
        )
    return Workload(
        key=key,
        kind=kind,
        app=str(labels.get(APP_LABEL) or ""),
        component=component,
        replicas=_count(
            spec, "replicas" if kind == SERVICE else "count", key, minimum=0 if kind == SERVICE else 1
        ),
        port=_port(spec.get("port"), key, "spec.port"),
        min_ready=_seconds(spec, "minReadySeconds", key),
        restart=restart,
        backoff_limit=_count(spec, "backoffLimit", key, minimum=0, default=6),
        schedule=schedule,
        zone=zone,
        suspend=bool(spec.get("suspend", False)),
        container=container,
        fingerprint=fingerprint,
    )


def defaulted(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest as the target reports it: defaults filled in, like an API server would."""
    out = json.loads(json.dumps(manifest, default=str))
    spec = out.setdefault("spec", {})
    if out.get("kind") == SERVICE:
        spec.setdefault("replicas", 1)
    else:
        spec.setdefault("count", 1)
        spec.setdefault("restart", "Never")
        if out.get("kind") == TASK:  # all runs go at once, as KubeVela's task sets for a Job
            spec.setdefault("parallelism", spec["count"])
            spec.setdefault("completions", spec["count"])
    return dict(out)


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: a defined variable is substituted, an undefined reference stays as
    written, `$$` is a literal `$`. Nothing else is interpreted; the result is never given to a shell."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env.get(name, match.group(0))

    return _REFERENCE.sub(one, text)


def _container(spec: Mapping[str, Any], key: ResourceKey, component: str, target: str) -> Mapping[str, Any]:
    template = spec.get("template") or {}
    pod = template.get("spec") if isinstance(template, Mapping) else None
    containers = pod.get("containers") if isinstance(pod, Mapping) else None
    if not isinstance(containers, list) or not containers:
        raise _no_command(component, target, None)
    if len(containers) > 1:
        names = ", ".join(str(c.get("name", "?")) for c in containers if isinstance(c, Mapping))
        raise TargetRejectedError(
            f"component {component!r} has {len(containers)} containers ({names}); the local target {target!r}"
            " runs one process per replica",
            Location(path="spec.template.spec.containers"),
            hint="sidecars need a Kubernetes target",
        )
    if not isinstance(containers[0], Mapping):
        raise TargetRejectedError(f"{key}: a container must be a mapping", Location(path=_CONTAINER))
    return containers[0]


def _parse_container(raw: Mapping[str, Any], key: ResourceKey, component: str, target: str) -> Container:
    command = raw.get("command")
    args = raw.get("args") or []
    if not command:
        raise _no_command(component, target, raw.get("image"))
    for name, value in (("command", command), ("args", args)):
        if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
            raise TargetRejectedError(
                f"component {component!r}: {name} must be a list of strings",
                Location(path=f"{_CONTAINER}.{name}"),
            )
    argv = tuple(str(v) for v in [*command, *args])
    if any("\0" in part for part in argv):
        raise TargetRejectedError(
            f"component {component!r}: the command contains a NUL byte",
            Location(path=f"{_CONTAINER}.command"),
        )
    ports, names = _container_ports(raw.get("ports"), key)
    return Container(
        command=argv,
        env=_env(raw.get("env"), component),
        working_dir=_working_dir(raw.get("workingDir"), component),
        ports=ports,
        port_names=names,
        readiness=probes.parse(raw.get("readinessProbe"), f"{_CONTAINER}.readinessProbe"),
        liveness=probes.parse(raw.get("livenessProbe"), f"{_CONTAINER}.livenessProbe"),
    )


def _no_command(component: str, target: str, image: Any) -> TargetRejectedError:
    having = f" (it names the image {image!r}, but images need a container engine)" if image else ""
    return TargetRejectedError(
        f"component {component!r} has no command for the local target {target!r} to run{having}",
        Location(path=f"{_CONTAINER}.command"),
        hint="set the component's `cmd` property to the program and its arguments",
    )


def _env(raw: Any, component: str) -> tuple[tuple[str, str | SecretKeyRef], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise TargetRejectedError(
            f"component {component!r}: env must be a list", Location(path=f"{_CONTAINER}.env")
        )
    out: list[tuple[str, str | SecretKeyRef]] = []
    for i, item in enumerate(raw):
        where = Location(path=f"{_CONTAINER}.env[{i}]")
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str) or not item["name"]:
            raise TargetRejectedError(f"component {component!r}: every env entry needs a name", where)
        name = item["name"]
        if "=" in name or "\0" in name:
            raise TargetRejectedError(
                f"component {component!r}: {name!r} is not a valid variable name", where
            )
        if item.get("valueFrom") is not None:
            out.append((name, secret_env.parse(name, item["valueFrom"], where.path, component)))
            continue
        value = item.get("value", "")
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = str(value)
        elif value is None:
            value = ""
        if not isinstance(value, str) or "\0" in value:
            raise TargetRejectedError(f"component {component!r}: env {name} must be a string", where)
        out.append((name, value))
    return tuple(out)


def _working_dir(raw: Any, component: str) -> str:
    if raw in (None, ""):
        return ""
    where = Location(path=f"{_CONTAINER}.workingDir")
    if not isinstance(raw, str) or "\0" in raw:
        raise TargetRejectedError(f"component {component!r}: workingDir must be a string", where)
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if raw.startswith("/") or ".." in parts:
        raise TargetRejectedError(
            f"component {component!r}: workingDir {raw!r} must be a relative path inside its directory",
            where,
        )
    return "/".join(parts)


def _container_ports(raw: Any, key: ResourceKey) -> tuple[tuple[int, ...], tuple[tuple[str, int], ...]]:
    if raw is None:
        return (), ()
    if not isinstance(raw, list):
        raise TargetRejectedError(f"{key}: ports must be a list", Location(path=f"{_CONTAINER}.ports"))
    numbers, names = [], []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise TargetRejectedError(
                f"{key}: a port must be a mapping", Location(path=f"{_CONTAINER}.ports[{i}]")
            )
        number = _port(item.get("containerPort"), key, f"{_CONTAINER}.ports[{i}].containerPort")
        if number is None:
            continue
        numbers.append(number)
        if isinstance(item.get("name"), str):
            names.append((item["name"], number))
    return tuple(numbers), tuple(names)


def _port(value: Any, key: ResourceKey, path: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise TargetRejectedError(f"{key}: {value!r} is not a port number", Location(path=path))
    return value


def _count(spec: Mapping[str, Any], name: str, key: ResourceKey, *, minimum: int, default: int = 1) -> int:
    value = spec.get(name, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise TargetRejectedError(
            f"{key}: {name} must be an integer of at least {minimum}, not {value!r}",
            Location(path=f"spec.{name}"),
        )
    return value


def _seconds(spec: Mapping[str, Any], name: str, key: ResourceKey) -> float | None:
    value = spec.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 86400:
        raise TargetRejectedError(
            f"{key}: {name} must be a number of seconds from 0 to 86399, not {value!r}",
            Location(path=f"spec.{name}"),
        )
    return float(value)


def _schedule(spec: Mapping[str, Any], key: ResourceKey) -> tuple[Schedule, tzinfo | None]:
    expression = spec.get("schedule")
    if not isinstance(expression, str) or not expression.strip():
        raise TargetRejectedError(f"{key}: a CronTask needs a schedule", Location(path="spec.schedule"))
    try:
        schedule = Schedule.parse(expression)
    except CronError as exc:
        raise TargetRejectedError(f"{key}: schedule {exc}", Location(path="spec.schedule")) from exc
    zone_name = spec.get("timeZone")
    if not zone_name:
        return schedule, None
    try:
        return schedule, zoneinfo.ZoneInfo(str(zone_name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise TargetRejectedError(
            f"{key}: unknown time zone {zone_name!r}", Location(path="spec.timeZone")
        ) from exc
