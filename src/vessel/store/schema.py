"""The store's tables (SQLAlchemy Core). Migrations in `migrations/` create exactly this; a test checks
that they agree.

Times are float seconds from the injected clock. JSON columns hold specs, labels, outputs and the
definition documents a revision snapshots (deduplicated by content digest).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

targets = Table(
    "targets",
    metadata,
    Column("name", String(253), primary_key=True),
    Column("type", String(63), nullable=False),
    Column("labels", JSON, nullable=False),
    Column("config", JSON, nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
)

applications = Table(
    "applications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("namespace", String(63), nullable=False),
    Column("name", String(253), nullable=False),
    Column("revision", Integer, nullable=False),  # the revision being delivered (latest, or rolled back to)
    Column("latest_revision", Integer, nullable=False),
    Column("phase", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("deleting", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # Where its file was last applied from, on the machine that applied it: not part of any revision.
    Column("source_dir", Text),
    UniqueConstraint("namespace", "name", name="uq_applications_namespace_name"),
)

definition_snapshots = Table(
    "definition_snapshots",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("kind", String(63), nullable=False),
    Column("name", String(253), nullable=False),
    Column("document", JSON, nullable=False),
)

revisions = Table(
    "revisions",
    metadata,
    Column("app_id", Integer, ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("digest", String(64), nullable=False),  # spec + every used definition: same digest = no revision
    Column("spec", JSON, nullable=False),
    Column("definitions", JSON, nullable=False),  # [digest, ...] of definition_snapshots, in order
    Column("created_at", Float, nullable=False),
    # The default target when the revision was made: where "no topology" places it, for every run of it
    # (restart, rollback, a crash's resume), whatever the default is later. NULL: made before it was kept.
    Column("default_target", String(253)),
)

# Which definition snapshots each revision uses, as rows: the same digests as `revisions.definitions`,
# indexed by digest, so pruning revisions can tell which snapshots nothing refers to any more.
revision_definitions = Table(
    "revision_definitions",
    metadata,
    Column("app_id", Integer, primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("digest", String(64), ForeignKey("definition_snapshots.digest"), primary_key=True),
    ForeignKeyConstraint(["app_id", "number"], ["revisions.app_id", "revisions.number"], ondelete="CASCADE"),
    Index("ix_revision_definitions_digest", "digest"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("app_id", Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("phase", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("steps", JSON, nullable=False),  # the effective workflow (default one generated if none given)
    Column("suspended", Boolean, nullable=False),
    Column("terminated", Boolean, nullable=False),
    Column("pruned", Boolean, nullable=False),
    Column("values", JSON, nullable=False),  # outputs published by steps, by name
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("lease_owner", String(128)),
    Column("lease_expires", Float),
    Index("ix_runs_app", "app_id", "id"),
)

steps = Table(
    "steps",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(253), primary_key=True),
    Column("parent", String(253)),
    Column("type", String(63), nullable=False),
    Column("phase", String(32), nullable=False),
    Column("reason", String(63), nullable=False),
    Column("message", Text, nullable=False),
    Column("attempts", Integer, nullable=False),  # executions started (persisted before each one)
    Column("errors", Integer, nullable=False),  # consecutive transient failures: drives backoff and give-up
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("next_attempt_at", Float),
    Column("outputs", JSON, nullable=False),
)

inventory = Table(
    "inventory",
    metadata,
    Column("app_id", Integer, ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True),
    Column("target", String(253), primary_key=True),
    Column("api_version", String(253), primary_key=True),
    Column("kind", String(253), primary_key=True),
    Column("namespace", String(253), primary_key=True),
    Column("name", String(253), primary_key=True),
    Column("component", String(253), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("state", String(16), nullable=False),  # applying | applied | deleting | reading | sharing
    Column("digest", String(64), nullable=False),  # of the manifest last applied
    Column("manifest", JSON, nullable=False),  # what was applied: drift correction re-applies this
    Column("role", String(253), nullable=False),  # "" for the workload, else the output name
    Column("status_basis", JSON),  # the workload's: what its status rules see besides live objects
    Column("updated_at", Float, nullable=False),
    # Deleting it: consecutive failures, when the next attempt is due (backoff), the last failure.
    Column("errors", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", Float),
    Column("last_error", Text, nullable=False, server_default=""),
    # The live object's version (resourceVersion) when the steady state last found it up to date with
    # the application running (or applied it): a pass that finds this version again skips the object.
    # NULL: unknown.
    Column("live_version", String(64)),
    Index("ix_inventory_object", "target", "api_version", "kind", "namespace", "name"),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("app_id", Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("at", Float, nullable=False),
    Column("type", String(16), nullable=False),  # Normal | Warning
    Column("reason", String(63), nullable=False),
    Column("message", Text, nullable=False),
    Index("ix_events_app", "app_id", "id"),
)

# Configs (`create-config` … `delete-config` steps): named sets of values per namespace, KubeVela's
# config Secrets kept in the store, so they work with any target. `config` may hold secrets: it is stored
# as it is (the steps need it whole) and redacted wherever it would be shown (store/configs.py).
configs = Table(
    "configs",
    metadata,
    Column("namespace", String(63), primary_key=True),
    Column("name", String(253), primary_key=True),
    Column("template", String(253), nullable=False),  # "" when created without one
    Column("config", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_configs_template", "namespace", "template"),
)

# Addon registries and enabled addons (vessel/addons). An enabled addon's files are kept whole, so every
# process sharing the store — another CLI, a server, another machine on the same PostgreSQL — builds its
# definitions from here, never from a folder on one machine.
addon_registries = Table(
    "addon_registries",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("kind", String(32), nullable=False),  # "directory" (today), "http", "git"
    Column("location", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

addons = Table(
    "addons",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("version", String(128), nullable=False),
    Column("registry", String(63), nullable=False),
    Column("metadata", JSON, nullable=False),
    Column("parameters", JSON, nullable=False),
    Column("readme", Text, nullable=False),
    Column("application", String(253)),  # the Application enabling it delivered (addon-NAME), if any
    Column("enabled_at", Float, nullable=False),
)

addon_files = Table(
    "addon_files",
    metadata,
    Column("addon", String(63), ForeignKey("addons.name", ondelete="CASCADE"), primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("text", Text, nullable=False),
)

# One row: a number bumped in the same transaction as every enable, upgrade and disable. A long-running
# process reads it (one primary-key read) to learn whether its definitions are still the enabled set.
addon_generation = Table(
    "addon_generation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("generation", Integer, nullable=False),
)

# Server mode (`vessel server`): who may call the API. A token is shown once and kept only as the SHA-256
# of its secret part; `key_id` is its public part, by which it is found and revoked. Projects, their
# members and roles, and the audit log come next (the users table is what they will refer to).
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(253), nullable=False, unique=True),
    Column("admin", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key_id", String(32), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("digest", String(64), nullable=False),  # sha256 of the secret, hex
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float),  # None: never
    Column("revoked_at", Float),  # None: valid
    Index("ix_tokens_user", "user_id"),
)

# Who changed what, when, with what outcome: one row per change through the API (and per account change
# from the CLI). `actor` is a user's name as it was then (not a key: history outlives the user).
audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("actor", String(253), nullable=False),  # a user's name, or "-" when the caller was not known
    Column("action", String(253), nullable=False),  # e.g. "POST /api/v1/applications", "token create"
    Column("object", String(600), nullable=False),  # e.g. "default/web", a token id; "" when none
    Column("outcome", String(32), nullable=False),  # the HTTP status, or "ok" / "error"
)

# Projects (`vessel project`): a project owns namespaces (a namespace belongs to one project at most) and
# may deliver to a set of targets (none listed: any). Members are users with one role per project.
projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(63), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)

project_namespaces = Table(
    "project_namespaces",
    metadata,
    Column("namespace", String(63), primary_key=True),  # one owner per namespace
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Index("ix_project_namespaces_project", "project_id"),
)

project_targets = Table(
    "project_targets",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("target", String(253), primary_key=True),
)

members = Table(
    "members",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False),  # owner, developer or viewer
    Index("ix_members_user", "user_id"),
)
