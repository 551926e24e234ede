"""The registered targets, as the workflow sees them (a `TargetProvider` backed by the store)."""

from __future__ import annotations

from vessel.errors import NotFoundError
from vessel.home import vessel_home
from vessel.store.store import Store
from vessel.targets import factory
from vessel.targets.protocol import Target, TargetInfo

LOCAL = "local"


def implicit_local() -> TargetInfo:
    """`local` is always present: this machine, with its state under VESSEL_HOME."""
    return TargetInfo(LOCAL, "local", {}, {"path": str(vessel_home() / "local")})


class StoreTargets:
    """Targets registered in the store (plus the implicit `local`); live `Target` objects are created once
    per process."""

    def __init__(self, store: Store):
        self.store = store
        self._live: dict[str, Target] = {}
        self._records: list[tuple[TargetInfo, bool]] | None = None

    def _load(self) -> list[tuple[TargetInfo, bool]]:
        if self._records is None:
            self._records = self.store.targets()
        return self._records

    def refresh(self) -> None:
        self._records = None

    def infos(self) -> list[TargetInfo]:
        infos = [info for info, _ in self._load()]
        return infos if any(i.name == LOCAL for i in infos) else [*infos, implicit_local()]

    def default(self) -> str | None:
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
        if name not in self._live:
            self._live[name] = factory.create(self.info(name))
        return self._live[name]

    def render_type(self, name: str) -> str:
        return factory.RENDER_TYPES.get(self.info(name).type, "kubernetes")
