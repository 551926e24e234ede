"""`app.oam.dev/publishVersion`: a name a user gives a revision, as KubeVela does.

KubeVela names an application's revision after this annotation, so a release can be found and rolled
back to by the version a pipeline published (`v1.4.2`) instead of a counter. Vessel keeps its numbers
(1, 2, 3… per application) and adds the name: `vessel revision list` shows it, and `vessel workflow
rollback --revision NAME` accepts it where a number is accepted.

The name is read from the revision's own spec, not stored beside it: it is part of what the user wrote,
so it can never disagree with the revision, and an application keeps few revisions (garbage-collect's
`applicationRevisionLimit`), so reading their specs to list or find names costs little.

One name, one revision: submitting a different spec under a publishVersion an earlier revision already
has is refused (KubeVela would not deliver it either: a changed spec under the same publishVersion is
not re-run), with what to do — bump the version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vessel.errors import ConflictError, NotFoundError
from vessel.store.reads import RecordReads

PUBLISH_VERSION = "app.oam.dev/publishVersion"


def revision_name(spec: Mapping[str, Any]) -> str | None:
    """The publishVersion a revision's spec carries, if any."""
    annotations = (spec.get("metadata") or {}).get("annotations") or {}
    name = annotations.get(PUBLISH_VERSION)
    return name if isinstance(name, str) and name else None


def names(store: RecordReads, app_id: int) -> dict[int, str]:
    """The name of each kept revision that has one, by number."""
    return {n: name for n, _, spec in store.revision_specs(app_id) if (name := revision_name(spec))}


def check_unique(store: RecordReads, app_id: int, spec: Mapping[str, Any], digest: str) -> None:
    """Refuse a new spec under a publishVersion that already names another revision."""
    name = revision_name(spec)
    if name is None:
        return
    for number, other_digest, other in store.revision_specs(app_id):
        if revision_name(other) == name and other_digest != digest:
            raise ConflictError(
                f"publishVersion {name!r} already names revision {number}, which delivered something else",
                hint=f"give this change a new {PUBLISH_VERSION} (or roll back to {name} to deliver it again)",
            )


def number_of(store: RecordReads, app_id: int, app_name: str, revision: str) -> int:
    """The revision a user named: its number (`3`) or its publishVersion (`v1.4.2`)."""
    if revision.isdigit():
        return int(revision)
    named = names(store, app_id)
    for number, name in named.items():
        if name == revision:
            return number
    known = ", ".join(f"{name} ({n})" for n, name in named.items()) or "none has a publishVersion"
    raise NotFoundError(f"{app_name} has no revision named {revision!r}", hint=f"named revisions: {known}")
