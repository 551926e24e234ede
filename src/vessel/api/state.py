"""What every request handler of one server shares: the store, the definitions, the targets, the clock,
the metrics and the settings. Handlers build a `Controller` from it per request (cheap: it holds no
connection), with the same owner and targets as the server's controller loop, so the API and the loop
see the same targets — memory targets, Kubernetes clients — and release the same leases.
"""

from __future__ import annotations

from dataclasses import dataclass

from vessel.api.metrics import Metrics
from vessel.controller.controller import Controller
from vessel.definitions.registry import Registry
from vessel.store.store import Store
from vessel.workflow.clock import Clock
from vessel.workflow.delivery import TargetProvider

DEFAULT_BODY_LIMIT = 1024 * 1024  # bytes of a request body: an Application is a few KiB
MAX_PAGE = 500  # applications in one page of a list
DEFAULT_PAGE = 100


@dataclass(frozen=True)
class Settings:
    body_limit: int = DEFAULT_BODY_LIMIT
    metrics_need_token: bool = False  # /metrics is open to scrapers unless configured otherwise
    interval: float = 2.0  # seconds between the controller loop's passes


@dataclass(frozen=True)
class ServerState:
    store: Store
    registry: Registry
    targets: TargetProvider
    clock: Clock
    owner: str
    metrics: Metrics
    settings: Settings

    def controller(self) -> Controller:
        return Controller(
            self.store, clock=self.clock, targets=self.targets, registry=self.registry, owner=self.owner
        )
