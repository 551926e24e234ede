"""What every request handler of one server shares: the store, the definitions, the targets, the clock,
the metrics and the settings. Handlers call one `Controller` of their own, built once: a controller
keeps no state of its own between calls (what it knows is in the store; its caches and targets are
thread-safe), and building one per request would cost more than the request (it loads the step types).
It has the owner, targets and caches of the server's controller loop, so the API and the loop see the
same targets — memory targets, Kubernetes clients — and release the same leases.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from vessel.api.metrics import Metrics
from vessel.api.throttle import LIMIT, BadTokenThrottle
from vessel.controller.controller import Controller
from vessel.definitions.registry import Registry
from vessel.store.store import Store
from vessel.workflow.clock import Clock

DEFAULT_BODY_LIMIT = 1024 * 1024  # bytes of a request body: an Application is a few KiB
MAX_PAGE = 500  # applications in one page of a list
DEFAULT_PAGE = 100
# Seconds a request may use definitions without asking the store whether another process enabled,
# upgraded or disabled an addon since: requests in a burst share one read.
DEFINITIONS_MAX_AGE = 1.0


@dataclass(frozen=True)
class Settings:
    body_limit: int = DEFAULT_BODY_LIMIT
    metrics_need_token: bool = False  # /metrics is open to scrapers unless configured otherwise
    interval: float = 2.0  # seconds between the controller loop's passes
    bad_token_limit: int = LIMIT  # bad tokens an address may send per WINDOW_S before it gets 429


class ServerState:
    def __init__(self, loop: Controller, metrics: Metrics, settings: Settings):
        self.loop = loop
        self.metrics = metrics
        self.settings = settings
        self.stopping = threading.Event()  # set on SIGTERM: the loop and every stream end
        self.throttle = BadTokenThrottle(settings.bad_token_limit)
        self.api = Controller(  # the loop's definitions (read again after an addon changed them)
            loop.store,
            clock=loop.clock,
            targets=loop.targets,
            registry=lambda: loop.live_registry,
            owner=loop.owner,
        )
        self.api.revision_cache = loop.revision_cache  # one set of thread-safe caches per process
        self.api.status_bases = loop.status_bases

    @property
    def store(self) -> Store:
        return self.loop.store

    @property
    def clock(self) -> Clock:
        return self.loop.clock

    @property
    def registry(self) -> Registry:
        """The definitions installed now: built again when another process on the store changed the
        enabled addons (checked at most once per DEFINITIONS_MAX_AGE)."""
        self.loop.sync_definitions(DEFINITIONS_MAX_AGE)
        registry = self.loop.live_registry
        if self.api.live_registry is not registry:  # the handlers' controller follows the loop's
            self.api.reload_definitions()
        return registry

    def definitions_changed(self) -> None:
        """An addon was enabled, upgraded or disabled: the loop and the handlers build their definitions
        again at next use, so an application using the addon's types is accepted at once."""
        self.loop.reload_definitions()
        self.api.reload_definitions()

    def controller(self) -> Controller:
        """The controller request handlers call (all requests share it: it keeps no per-call state)."""
        return self.api
