"""Fixed-shape persisted records. Everything that decides the next action lives in these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vessel.model.resource_key import ResourceKey


class Phase:
    """Application phases (KubeVela's names)."""

    RUNNING_WORKFLOW = "runningWorkflow"
    SUSPENDING = "workflowSuspending"
    TERMINATED = "workflowTerminated"
    FAILED = "workflowFailed"
    RUNNING = "running"
    UNHEALTHY = "unhealthy"
    DELETING = "deleting"


class RunPhase:
    EXECUTING = "executing"
    SUSPENDING = "suspending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TERMINATED = "terminated"
    FINISHED = frozenset({"succeeded", "failed", "terminated"})


class StepPhase:
    PENDING = "pending"
    RUNNING = "running"
    SUSPENDING = "suspending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    DONE = frozenset({"succeeded", "failed", "skipped"})


@dataclass(frozen=True)
class AppRecord:
    id: int
    namespace: str
    name: str
    revision: int
    latest_revision: int
    phase: str
    message: str
    deleting: bool
    created_at: float
    updated_at: float
    source_dir: str | None = None  # the directory its file was last applied from (not in any revision)


@dataclass(frozen=True)
class RevisionRecord:
    app_id: int
    number: int
    digest: str
    spec: dict[str, Any]
    definitions: list[dict[str, Any]]  # the snapshotted definition documents
    created_at: float
    default_target: str | None = None  # where "no topology" placed it (None: not recorded)


@dataclass(frozen=True)
class RunRecord:
    id: int
    app_id: int
    revision: int
    phase: str
    message: str
    steps: dict[str, Any]  # the plan: {"mode", "subStepMode", "steps": [...]}
    suspended: bool
    terminated: bool
    pruned: bool
    values: dict[str, Any]
    created_at: float
    finished_at: float | None
    lease_owner: str | None
    lease_expires: float | None

    @property
    def finished(self) -> bool:
        return self.phase in RunPhase.FINISHED


@dataclass(frozen=True)
class StepRecord:
    name: str
    type: str
    parent: str | None = None
    phase: str = StepPhase.PENDING
    reason: str = ""
    message: str = ""
    attempts: int = 0
    errors: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    next_attempt_at: float | None = None
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.phase in StepPhase.DONE


class EntryState:
    """Inventory entry states. An object this application writes is recorded `applying` before the
    apply and marked `applied` after, and is `deleting` until its delete succeeded. `reading`: a
    read-only policy selects it, so it is only read. `sharing`: it is shared and another application
    writes it; this one reads it, and starts writing it when it is the last holder."""

    APPLYING = "applying"
    APPLIED = "applied"
    DELETING = "deleting"
    READING = "reading"
    SHARING = "sharing"
    WRITING = frozenset({APPLYING, APPLIED, DELETING})


@dataclass(frozen=True)
class InventoryEntry:
    target: str
    key: ResourceKey
    component: str
    revision: int
    state: str  # an EntryState
    digest: str
    manifest: dict[str, Any] = field(default_factory=dict, compare=False)
    role: str = ""  # "" for the component's workload, else the output name
    # The workload's only: what the component's status rules see besides live objects, as delivery
    # rendered it (`render.status_basis`; None: not a component's workload, or recorded before Vessel
    # kept it).
    status_basis: dict[str, Any] | None = field(default=None, compare=False)
    # While it is being deleted: consecutive failures, when the next attempt is due, the last failure.
    errors: int = field(default=0, compare=False)
    next_attempt_at: float | None = field(default=None, compare=False)
    last_error: str = field(default="", compare=False)
    # The live object's version when it was last found up to date (None: unknown), see `EntryVersion`.
    live_version: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class RunState:
    """What a steady-state pass needs of an application's latest run (read for every application in
    one query, without the plan and values a run also holds)."""

    id: int
    app_id: int
    revision: int
    phase: str
    pruned: bool


@dataclass(frozen=True, slots=True)
class EntryVersion:
    """What a steady-state pass needs of one inventory entry to know it is up to date: its object, its
    state and the live version (resourceVersion) recorded when it was last found up to date — read for
    every application in one query, without the manifest and status basis."""

    target: str
    key: ResourceKey
    state: str
    live_version: str | None


@dataclass(frozen=True)
class Event:
    id: int
    at: float
    type: str
    reason: str
    message: str
