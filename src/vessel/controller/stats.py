"""The four delivery keys (DORA's), from what the store kept: `vessel stats` and `GET /api/v1/stats`.

Over a window ending now (`--since 30d`), for one application or all:

- a **change** is the first run of a new revision (not a restart, not a rollback to an older one);
- **deployments**: changes that succeeded, finished in the window (and per day);
- **lead time**: from the revision's creation to its run's success (median, 90th percentile);
- **change failure rate**: changes finished in the window that failed or were terminated, or that
  succeeded and were later rolled back, over all changes finished in the window;
- **time to restore**: from an application turning `workflowFailed` or `unhealthy` to it `running`
  again, for restorations in the window (median, 90th percentile).

History is what the store keeps: runs of pruned revisions are gone (garbage-collect
`applicationRevisionLimit`), and events are kept as the store keeps them.

    {"since", "until", "deployments", "deploymentsPerDay", "leadTimeSeconds": {"median", "p90"},
     "changes", "failedChanges", "changeFailureRate", "restores", "timeToRestoreSeconds": {"median", "p90"}}
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from vessel.controller.views import rfc3339
from vessel.store.delivery_history import PhaseChange, RunFact, phase_changes, run_facts
from vessel.store.records import Phase, RunPhase
from vessel.store.store import Store

BROKEN = {Phase.FAILED, Phase.UNHEALTHY}
DAY_S = 86400.0


def delivery_keys(store: Store, now: float, window: float, app_id: int | None = None) -> dict[str, Any]:
    return keys_of(run_facts(store, app_id), phase_changes(store, app_id), now, window, closed=False)


def daily_keys(store: Store, now: float, days: int, app_ids: Collection[int] | None = None) -> dict[str, Any]:
    """The keys of the last `days` days (`window`) and of each of them (`days`, oldest first; the last
    one ends now), of the applications `app_ids` (None: all), from two queries whatever the days."""
    runs = [r for r in run_facts(store) if app_ids is None or r.app_id in app_ids]
    changes = [c for c in phase_changes(store) if app_ids is None or c.app_id in app_ids]
    return {
        "window": keys_of(runs, changes, now, days * DAY_S, closed=False),
        "days": [
            keys_of(runs, changes, now - back * DAY_S, DAY_S, closed=True) for back in range(days - 1, -1, -1)
        ],
    }


def keys_of(
    runs: Sequence[RunFact], phase_history: Sequence[PhaseChange], now: float, window: float, *, closed: bool
) -> dict[str, Any]:
    """The keys of the window ending `now`. `closed`: one of consecutive windows (the days of a chart),
    so `(start, now]` — a fact at a boundary counts in one day only; else the window up to now,
    `[start, ...)` (facts a moment newer than the clock's reading count too)."""
    start = now - window

    def within(at: float) -> bool:
        return start < at <= now if closed else start <= at

    changes = [
        (c, rolled) for c, rolled in _changes(runs) if c.finished_at is not None and within(c.finished_at)
    ]
    deployed = [c for c, _ in changes if c.phase == RunPhase.SUCCEEDED]
    failed = [c for c, rolled in changes if c.phase != RunPhase.SUCCEEDED or rolled]
    leads = [
        c.finished_at - c.revision_created_at for c in deployed if c.finished_at and c.revision_created_at
    ]
    restores = [seconds for at, seconds in _restores(phase_history) if within(at)]
    return {
        "since": rfc3339(start),
        "until": rfc3339(now),
        "deployments": len(deployed),
        "deploymentsPerDay": round(len(deployed) / (window / DAY_S), 3),
        "leadTimeSeconds": _spread(leads),
        "changes": len(changes),
        "failedChanges": len(failed),
        "changeFailureRate": round(len(failed) / len(changes), 3) if changes else None,
        "restores": len(restores),
        "timeToRestoreSeconds": _spread(restores),
    }


def _changes(runs: Sequence[RunFact]) -> list[tuple[RunFact, bool]]:
    """Each change with whether it was rolled back: a later run went to an older revision before any
    newer change came."""
    by_app: dict[int, list[RunFact]] = defaultdict(list)
    for run in runs:
        by_app[run.app_id].append(run)
    found: list[tuple[RunFact, bool]] = []
    for app_runs in by_app.values():
        newest = 0
        for i, run in enumerate(app_runs):
            if run.revision > newest:
                newest = run.revision
                found.append((run, _rolled_back(run, app_runs[i + 1 :])))
    return found


def _rolled_back(change: RunFact, later: Sequence[RunFact]) -> bool:
    for run in later:
        if run.revision > change.revision:
            return False  # a newer change came first: going back after it is not this change's failure
        if run.revision < change.revision:
            return True
    return False


def _restores(changes: Sequence[PhaseChange]) -> list[tuple[float, float]]:
    """(when, how long) of each return to `running` after `workflowFailed` or `unhealthy`."""
    broken_since: dict[int, float] = {}
    found: list[tuple[float, float]] = []
    for change in changes:
        after = _phase_after(change.message)
        if after in BROKEN:
            broken_since.setdefault(change.app_id, change.at)
        elif after == Phase.RUNNING and change.app_id in broken_since:
            found.append((change.at, change.at - broken_since.pop(change.app_id)))
    return found


def _phase_after(message: str) -> str:
    _, arrow, rest = message.partition(" -> ")
    return rest.split(":", 1)[0].strip() if arrow else ""


def _spread(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "p90": None}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, max(0, round(0.9 * len(ordered)) - 1))]
    return {"median": round(statistics.median(ordered), 3), "p90": round(p90, 3)}


@dataclass(frozen=True)
class Settled:
    """What a run that just settled was, for `/metrics` (the same reading as the delivery keys)."""

    result: str  # succeeded, failed or terminated
    change: bool  # the first run of a new revision
    rollback: bool  # a run back to a revision older than the run before it
    lead_time: float | None  # a change that succeeded: from its revision's creation to now


def settled_run(store: Store, app_id: int, now: float) -> Settled | None:
    """The application's latest run, if it is finished."""
    runs = run_facts(store, app_id)
    if not runs or runs[-1].finished_at is None:
        return None
    last = runs[-1]
    change = any(c.run_id == last.run_id for c, _ in _changes(runs))
    rollback = len(runs) > 1 and runs[-2].revision > last.revision  # a restart after it is none
    succeeded = change and last.phase == RunPhase.SUCCEEDED and last.revision_created_at is not None
    lead = max(0.0, now - last.revision_created_at) if succeeded and last.revision_created_at else None
    return Settled(last.phase, change, rollback, lead)


def restored_after(store: Store, app_id: int) -> float | None:
    """How long the application was broken, if its latest phase change brought it back to `running`."""
    changes = phase_changes(store, app_id)
    restores = _restores(changes)
    if not restores or not changes or restores[-1][0] != changes[-1].at:
        return None
    return restores[-1][1]
