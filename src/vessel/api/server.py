"""`vessel server`: the API (uvicorn) and the controller loop, in one process.

The loop runs in a thread of its own with its own `Controller`; request handlers share another with
the same owner, targets and caches (api/state.py), so a request never waits for a workflow and the
loop never waits for a request. SIGTERM or Ctrl-C stops both: uvicorn stops accepting and finishes the
requests in flight, the loop lets the step being executed complete and be recorded and starts no
further one, then the leases this process holds are released — another server takes its runs over at
once, not after the lease time — and the process exits 0. If the loop itself cannot go
on (the store gone for good), the server stops too and exits 1: an API whose runs nobody drives would
accept work that never happens.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Generator
from contextlib import contextmanager
from types import FrameType

import uvicorn

from vessel.addons.installed import addon_definitions
from vessel.api.app import create_app
from vessel.api.metrics import Metrics
from vessel.api.state import ServerState, Settings
from vessel.controller.controller import Controller
from vessel.controller.reconcile_loop import ReconcileLoop
from vessel.controller.targets import StoreTargets
from vessel.definitions.registry import build_registry, directories_from_env
from vessel.model.redaction import redact
from vessel.store.records import AppRecord
from vessel.store.store import Store

log = logging.getLogger("vessel.server")
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Uvicorn(uvicorn.Server):
    """uvicorn, except that a signal stops the whole server (and is not raised again afterwards, which
    would end the process by the signal instead of exiting 0 once everything is released)."""

    def __init__(self, config: uvicorn.Config, on_signal: Callable[[], None]):
        super().__init__(config)
        self.on_signal = on_signal

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self._stop) for sig in SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        log.info("%s: stopping", signal.Signals(signum).name)
        self.should_exit = True
        self.on_signal()


class Server:
    def __init__(
        self, store: Store, host: str, port: int, settings: Settings, tls: tuple[str, str] | None = None
    ):
        self.store = store
        self.settings = settings
        # The enabled addons' definitions, built at start and again after this server enables, upgrades
        # or disables an addon (an addon another process enables is seen after a restart: docs/addons.md).
        self.controller = Controller(
            store, registry=lambda: build_registry(directories_from_env(), installed=addon_definitions(store))
        )
        self.controller.live_registry  # noqa: B018 - built now: a broken definition is found at start
        self.metrics = Metrics(store, self.controller.owner, self.controller.clock.now, settings.interval)
        self.controller.engine.on_step_done = self.metrics.step_done
        if isinstance(self.controller.targets, StoreTargets):  # always, for a server's own controller
            self.controller.targets.on_request_error = self.metrics.target_failed
        self.state = ServerState(self.controller, self.metrics, settings)
        self.stopping = self.state.stopping
        self.loop_failed: BaseException | None = None
        cert, key = tls if tls is not None else (None, None)  # HTTPS with both, plain HTTP without
        config = uvicorn.Config(
            create_app(self.state),
            host=host,
            port=port,
            log_level="info",
            access_log=False,
            lifespan="off",
            ssl_certfile=cert,
            ssl_keyfile=key,
        )
        self.http = _Uvicorn(config, self.stopping.set)

    def run(self) -> int:
        """Serve until a signal (0) or until the controller loop cannot go on (1)."""
        thread = threading.Thread(target=self._loop, name="vessel-controller-loop", daemon=True)
        thread.start()
        try:
            self.http.run()
        finally:
            self.stopping.set()
            thread.join()
            self.controller.close()  # releases this process's leases
            log.info("stopped; leases of %s released", self.controller.owner)
        return 1 if self.loop_failed is not None else 0

    def _loop(self) -> None:
        loop = ReconcileLoop(
            self.controller,
            self.settings.interval,
            self.stopping.is_set,
            pause=self._pause,
            on_change=self._changed,
            on_error=self._failed,
            on_pass=self.metrics.reconciled,
        )
        try:
            loop.run()
        except BaseException as exc:
            self.loop_failed = exc
            log.error("the controller loop stopped: %s", exc)
            self.http.should_exit = True

    def _pause(self, seconds: float) -> None:
        self.stopping.wait(seconds)

    def _changed(self, before: str, after: AppRecord) -> None:
        log.info("%s/%s: %s -> %s %s", after.namespace, after.name, before, after.phase, after.message)
        run = self.store.latest_run(after.id)
        started = run.created_at if run is not None else None
        self.metrics.changed(before, after, started, self.controller.clock.now())

    def _failed(self, app: AppRecord, exc: Exception) -> None:
        log.error("%s/%s: %s: %s", app.namespace, app.name, type(exc).__name__, exc)


class _Redacting(logging.Filter):
    """Every log line goes through `redaction.redact`: a message quoting a secret value shows it masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        return True


def configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_Redacting())
    for name in ("vessel", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
