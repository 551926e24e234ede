"""The audit log as Vessel shows it: one document shape for `vessel audit -o json` and
`GET /api/v1/audit`, and the actor name a command run on this machine records (`local:<login>`).

    audit list   [{"id", "time", "actor", "action", "object", "outcome"}]   oldest first
"""

from __future__ import annotations

import getpass
from typing import Any

from vessel.controller.views import rfc3339
from vessel.store.audit import AuditEntry, AuditLog
from vessel.store.store import Store

MAX_ENTRIES = 1000  # one page of the audit log, at most


def local_actor() -> str:
    try:
        return f"local:{getpass.getuser()}"
    except (KeyError, OSError):
        return "local:?"


def record(store: Store, now: float, actor: str, action: str, obj: str, outcome: str) -> None:
    AuditLog(store).record(AuditEntry(now, actor, action, obj, outcome))


def audit_list(store: Store, limit: int, before: int | None = None) -> list[dict[str, Any]]:
    return [
        {
            "id": e.id,
            "time": rfc3339(e.at),
            "actor": e.actor,
            "action": e.action,
            "object": e.object,
            "outcome": e.outcome,
        }
        for e in AuditLog(store).entries(min(limit, MAX_ENTRIES), before)
    ]
