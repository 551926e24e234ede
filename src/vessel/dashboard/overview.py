"""`GET /`: the overview — the caller's applications by phase and by health, their most recent runs, and
the four delivery keys of the last days (controller/stats.py) as small charts: over every application
for an admin, over the applications the caller may see (of the chosen project) for everyone else."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from vessel.api.auth import state_of
from vessel.api.permissions import visible_namespaces
from vessel.controller.selection import HEALTH
from vessel.controller.stats import daily_keys
from vessel.dashboard.app_list import PHASES, project_namespaces
from vessel.dashboard.charts import Chart, bar_chart
from vessel.dashboard.session import page_user
from vessel.dashboard.templates import page
from vessel.store.accounts import UserRecord
from vessel.store.delivery_history import run_facts

router = APIRouter(include_in_schema=False)
DAYS = 14
RECENT = 10  # runs in "recent deliveries"


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request, user: Annotated[UserRecord, Depends(page_user)], project: str = ""
) -> HTMLResponse:
    state = state_of(request)
    visible = visible_namespaces(request, user)
    chosen = project_namespaces(request, user, project)
    apps = [
        a
        for a in state.store.apps()
        if (visible is None or a.namespace in visible) and (chosen is None or a.namespace in chosen)
    ]
    phases = Counter(a.phase for a in apps)
    health = {h: sum(phases[p] for p in ps) for h, ps in HEALTH.items()}
    everything = visible is None and chosen is None
    keys = daily_keys(state.store, state.clock.now(), DAYS, None if everything else {a.id for a in apps})
    by_id = {a.id: a for a in apps}
    runs = [r for r in run_facts(state.store) if r.app_id in by_id]
    recent = sorted(runs, key=lambda r: r.created_at, reverse=True)[:RECENT]
    return page(
        request,
        "overview.html",
        total=len(apps),
        phases=[(p, phases[p]) for p in PHASES if phases[p]],
        health=health,
        keys=keys["window"],
        charts=charts(keys),
        days=DAYS,
        recent=[(by_id[r.app_id], r) for r in recent],
    )


def charts(keys: dict[str, Any]) -> list[Chart]:
    days = [d["until"][:10] for d in keys["days"]]
    window = keys["window"]

    def seconds(value: float | None) -> str:
        return "nothing measured" if value is None else _short(value)

    rate = window["changeFailureRate"]
    return [
        bar_chart(
            "Deployments",
            f"{window['deployments']} ({window['deploymentsPerDay']} a day)",
            days,
            [d["deployments"] for d in keys["days"]],
            lambda v: f"{v:.0f} deployments",
        ),
        bar_chart(
            "Lead time (median)",
            seconds(window["leadTimeSeconds"]["median"]),
            days,
            [d["leadTimeSeconds"]["median"] for d in keys["days"]],
            seconds,
        ),
        bar_chart(
            "Change failure rate",
            "no change" if rate is None else f"{rate:.0%} of {window['changes']}",
            days,
            [d["changeFailureRate"] for d in keys["days"]],
            lambda v: "no change" if v is None else f"{v:.0%}",
        ),
        bar_chart(
            "Time to restore (median)",
            seconds(window["timeToRestoreSeconds"]["median"]),
            days,
            [d["timeToRestoreSeconds"]["median"] for d in keys["days"]],
            seconds,
        ),
    ]


def _short(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
