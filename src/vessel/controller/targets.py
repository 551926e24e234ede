"""The registered targets: as the workflow sees them (`StoreTargets`), and changing the registry.

`StoreTargets` is the `TargetProvider` backed by the store (plus the implicit `local`). A process reads
the registry once per pass (`refresh`, called by the controller at the start of every `reconcile`), so a
long-lived process — `vessel run`, an `up` waiting through a long workflow — sees targets another
`vessel` command added, changed or removed meanwhile: a target whose record changed gets a new live
object (the old one is closed), a removed one is closed and forgotten. Within a pass the registry holds
still, so the steps of one pass never see it change under them.

The default target is explicit: `local` unless a target was made the default (`add(default=True)`,
`set_default`). Adding a target never changes it. A target that still holds applications' objects
cannot be removed (the refusal names them); removing the default makes `local` the default again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, cast

from vessel.errors import ConflictError, NotFoundError, ValidationError
from vessel.home import vessel_home
from vessel.model.kube_names import dns_subdomain
from vessel.store.reads import RecordReads
from vessel.targets import factory
from vessel.targets.counted import CountedTarget
from vessel.targets.protocol import Target, TargetInfo, TargetStatus

if TYPE_CHECKING:
    from vessel.controller.controller import Controller

LOCAL = "local"


def implicit_local() -> TargetInfo:
    """`local` is always present: this machine, with its state under VESSEL_HOME."""
    return TargetInfo(LOCAL, "local", {}, {"path": str(vessel_home() / "local")})


class StoreTargets:
    """Targets registered in the store (plus the implicit `local`); a live `Target` per registered
    record, rebuilt when the record changes."""

    def __init__(self, store: RecordReads):
        self.store = store
        self._live: dict[str, tuple[TargetInfo, Target]] = {}  # with the record it was built from
        self._records: list[tuple[TargetInfo, bool]] | None = None
        self._lock = threading.Lock()  # deploy reaches several targets from threads
        self._generation = 0  # refreshes so far: records read before the latest one are not kept
        # Told of each failed request to a target (the server's metrics count them); set before use.
        self.on_request_error: Callable[[str, BaseException], None] | None = None

    def _load(self) -> list[tuple[TargetInfo, bool]]:
        """The records, read again after a `refresh`. The store is asked without holding the lock: a
        thread waiting there for a connection while others, holding the pool's connections in their
        sessions, waited for the lock would stop them all (the API's threads share this object)."""
        with self._lock:
            if self._records is not None:
                return self._records
            generation = self._generation
        records = self.store.targets()
        with self._lock:
            if self._generation == generation and self._records is None:
                self._records = records
                self._drop_stale({info.name: info for info in self._infos(records)})
            return self._records if self._records is not None else records

    def refresh(self) -> None:
        """Read the registry again at the next use (changed targets get new live objects)."""
        with self._lock:
            self._records = None
            self._generation += 1

    def _drop_stale(self, current: dict[str, TargetInfo]) -> None:
        for name, (info, target) in list(self._live.items()):
            if current.get(name) != info:
                del self._live[name]
                target.close()

    def close(self) -> None:
        with self._lock:
            for _, target in self._live.values():
                target.close()
            self._live.clear()

    @staticmethod
    def _infos(records: list[tuple[TargetInfo, bool]]) -> list[TargetInfo]:
        infos = [info for info, _ in records]
        return infos if any(i.name == LOCAL for i in infos) else [*infos, implicit_local()]

    def infos(self) -> list[TargetInfo]:
        return self._infos(self._load())

    def default(self) -> str:
        defaults = [info.name for info, is_default in self._load() if is_default]
        return defaults[0] if defaults else LOCAL

    def info(self, name: str) -> TargetInfo:
        for info in self.infos():
            if info.name == name:
                return info
        raise NotFoundError(
            f"target {name!r} is not registered",
            hint=f"registered: {', '.join(i.name for i in self.infos()) or 'none'}",
        )

    def get(self, name: str) -> Target:
        info = self.info(name)
        with self._lock:
            if name not in self._live:
                self._live[name] = (info, self._counted(name, factory.create(info)))
            return self._live[name][1]

    def _counted(self, name: str, target: Target) -> Target:
        if self.on_request_error is None:
            return target
        return cast(Target, CountedTarget(name, target, self.on_request_error))

    def render_type(self, name: str) -> str:
        return factory.RENDER_TYPES.get(self.info(name).type, "kubernetes")


# --- changing the registry ------------------------------------------------------------------------


def registered(ctl: Controller) -> tuple[list[TargetInfo], str]:
    """Every target (the implicit `local` included) and the default's name, as stored now."""
    targets = StoreTargets(ctl.store)
    return targets.infos(), targets.default()


def target_list(ctl: Controller) -> list[dict[str, Any]]:
    """Every target with its settings, whether it is the default, and whether it answers now (asked in
    parallel: an unreachable one costs its timeout once, not once per target). What `vessel target list
    -o json` prints and `GET /api/v1/targets` returns.

        [{"name", "type", "labels", "config", "default", "reachable", "version", "message"}]"""
    infos, default = registered(ctl)
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(infos)))) as pool:
        statuses = list(pool.map(status_of, infos))
    return [_row(info, info.name == default, status) for info, status in zip(infos, statuses, strict=True)]


def _row(info: TargetInfo, is_default: bool, status: TargetStatus) -> dict[str, Any]:
    return {
        "name": info.name,
        "type": info.type,
        "labels": dict(info.labels),
        "config": dict(info.config),
        "default": is_default,
        "reachable": status.reachable,
        "version": status.version,
        "message": status.message,
    }


def status_of(info: TargetInfo) -> TargetStatus:
    """Whether the target answers now, and its version (a target made for the question, then closed)."""
    target = factory.create(info)
    try:
        return target.status()
    finally:
        target.close()


def add(ctl: Controller, info: TargetInfo, *, default: bool) -> str:
    """Register a target (its name, type and settings are checked first); return the default before."""
    problem = dns_subdomain(info.name)  # KubeVela's cluster names are Secret names: the same rule
    if problem:
        raise ValidationError(f"target name: {problem}")
    factory.create(info).close()  # validates the type and its settings before anything is stored
    previous = registered(ctl)[1]
    if _stored(ctl, info.name):  # `local` may be registered once: it then replaces the implicit one
        raise ConflictError(f"target {info.name!r} already exists", hint="remove it first")
    ctl.store.add_target(info, default=default, now=ctl.clock.now())
    return previous


def set_default(ctl: Controller, name: str) -> str:
    """Make `name` the default target (`local` included); return the default before."""
    infos, previous = registered(ctl)
    if name not in {i.name for i in infos}:
        raise NotFoundError(
            f"target {name!r} is not registered", hint=f"registered: {', '.join(i.name for i in infos)}"
        )
    ctl.store.set_default_target(name if _stored(ctl, name) else None)
    return previous


def remove(ctl: Controller, name: str) -> str | None:
    """Unregister a target that holds no application's objects; the new default if it was the default."""
    if not _stored(ctl, name):
        hint = "`local` is always present" if name == LOCAL else "see `vessel target list`"
        raise NotFoundError(f"target {name!r} is not registered", hint=hint)
    holders = ctl.store.holdings(name)
    if holders:
        listed = ", ".join(f"{ns}/{app} ({count} object{'s' * (count != 1)})" for ns, app, count in holders)
        raise ConflictError(
            f"target {name!r} still holds resources of {listed}",
            hint="delete those applications first (`vessel delete NAME`; `--orphan` leaves what cannot "
            "be deleted in place), or move them with a topology policy and `vessel up`",
        )
    was_default = registered(ctl)[1] == name
    ctl.store.remove_target(name)
    return registered(ctl)[1] if was_default else None


def _stored(ctl: Controller, name: str) -> bool:
    return any(info.name == name for info, _ in ctl.store.targets())
