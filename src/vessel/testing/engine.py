"""An engine on a real store with in-memory targets and a fake clock: what most engine tests use.

Crashes are simulated in process: a test's fake (a step function, a target method) raises
`ProcessKilled` where the process should die, and `Harness.restart()` then carries on as the next
process would — a new controller on the same store, once the dead one's lease has expired.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vessel.controller.controller import Controller
from vessel.definitions.files import load_files
from vessel.definitions.registry import Registry, build_registry
from vessel.model.application import Application
from vessel.model.parse import parse_application
from vessel.model.yaml_source import read_text
from vessel.store.records import AppRecord
from vessel.store.store import Store
from vessel.targets import factory
from vessel.targets.memory import MemoryTarget
from vessel.targets.protocol import TargetInfo
from vessel.workflow.clock import FakeClock


class ProcessKilled(BaseException):
    """The process dies here. A BaseException, so no `except Exception` in Vessel can handle it and
    nothing after it runs, as after a SIGKILL (only what was committed to the store survives)."""


@dataclass
class Harness:
    store: Store
    controller: Controller
    clock: FakeClock
    registry: Registry
    targets: dict[str, MemoryTarget] = field(default_factory=dict)

    @classmethod
    def create(cls, url: str, *targets: str, registry: Registry | None = None) -> Harness:
        """A store at `url` with memory targets registered (the first is the default)."""
        factory.reset_memory_targets()
        store = Store.open(url)
        clock = FakeClock()
        registry = registry or build_registry(plugins=False)
        harness = cls(store, Controller(store, clock=clock, registry=registry, owner="test"), clock, registry)
        for i, spec in enumerate(targets or ("mem",)):
            name, _, labels = spec.partition(":")
            label_map = dict(p.split("=", 1) for p in labels.split(",") if p)
            store.add_target(TargetInfo(name, "memory", label_map), default=i == 0, now=clock.now())
            harness.targets[name] = factory.memory_target(TargetInfo(name, "memory", label_map))
        harness.controller.targets.refresh()
        return harness

    def add_target(self, name: str, type_: str, config: dict[str, Any], **labels: str) -> None:
        """Register another target (e.g. `kubernetes` with `{"kubeconfig": …}` of a FakeKubeServer)."""
        self.store.add_target(TargetInfo(name, type_, labels, config), default=False, now=self.clock.now())
        self.controller.targets.refresh()

    def app(self, text: str) -> Application:
        return parse_application(read_text(text, "app.yaml")[0])

    def submit(self, text: str) -> AppRecord:
        return self.controller.submit(self.app(text), self.registry).app

    def up(self, text: str, timeout: float = 600) -> AppRecord:
        record = self.submit(text)
        return self.controller.drive(record, timeout=timeout)

    def restart(self) -> Controller:
        """Replace the controller with a new one, as a new process after this one was killed: same store,
        targets and step types, another lease owner, and the clock moved past the dead one's lease."""
        old = self.controller
        self.store.lose_unwritten()  # it died before its next transaction
        self.clock.advance(old.engine.lease_seconds + 1)
        self.controller = Controller(
            self.store, clock=self.clock, registry=self.registry, owner=f"{old.owner}-restarted"
        )
        self.controller.engine.step_functions = old.engine.step_functions
        return self.controller

    def record(self, name: str, namespace: str = "default") -> AppRecord:
        return self.controller.find(namespace, name)


def load_app(path: str) -> Application:
    return load_files([path]).applications[0]
