"""Secrets whose values the target makes, so that no password ever passes through rendering.

Rendering is pure (the same inputs give the same bytes) and what it renders is kept — in revisions, in
the inventory, in dry-run output — so a generated password cannot come from a template. A rendered
Secret asks for one instead, with annotations:

    secrets.vessel.dev/generate: KEY[,KEY…]     each listed key missing from the live Secret is filled
    secrets.vessel.dev/from: NAMESPACE/NAME     optional: take those keys' values from that Secret
                                                (which must have them) instead of generating them

On `kubernetes` the Secret is applied as rendered (server-side apply, field manager `vessel`, no
`data`), then every listed key the live Secret lacks is written by a second apply under its own field
manager (`vessel-secrets`): `vessel` does not own those fields, so its later applies — which never carry
them — leave them alone, and an existing value is never replaced. On `directory` the values are added
to the Secret's file (0600) when it is written, kept from the file already there. A value is generated
with `secrets.token_urlsafe(24)` (URL-safe, so it may sit in a URL unquoted). The values go only where
the target keeps the Secret: the object an apply returns holds them (as any live Secret does), and
nothing Vessel keeps or prints is made from a live Secret's `data` (`vessel diff` masks it).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from typing import Any

from vessel.errors import Location, TargetRejectedError, TargetUnavailableError

GENERATE = "secrets.vessel.dev/generate"
FROM = "secrets.vessel.dev/from"
MANAGER = "vessel-secrets"
TOKEN_BYTES = 24


def wanted(manifest: Mapping[str, Any]) -> tuple[str, ...]:
    """The keys a rendered Secret asks the target to fill (none for any other object)."""
    if manifest.get("apiVersion") != "v1" or manifest.get("kind") != "Secret":
        return ()
    keys = _annotations(manifest).get(GENERATE, "")
    return tuple(k.strip() for k in str(keys).split(",") if k.strip())


def source(manifest: Mapping[str, Any], what: str) -> tuple[str, str] | None:
    """(namespace, name) of the Secret the values are copied from, if the manifest names one."""
    ref = _annotations(manifest).get(FROM)
    if ref is None:
        return None
    namespace, slash, name = str(ref).partition("/")
    if not (namespace and slash and name):
        raise TargetRejectedError(
            f"{what}: annotation {FROM} must be NAMESPACE/NAME, got {ref!r}",
            Location(path=f"metadata.annotations.{FROM}"),
        )
    return namespace, name


def missing(keys: tuple[str, ...], live: Mapping[str, Any] | None) -> tuple[str, ...]:
    data = (live or {}).get("data") or {}
    return tuple(k for k in keys if not data.get(k))


def generated(keys: tuple[str, ...]) -> dict[str, str]:
    """Fresh values for `keys`, base64-encoded as a Secret's `data` holds them."""
    return {k: _b64(secrets.token_urlsafe(TOKEN_BYTES)) for k in keys}


def copied(keys: tuple[str, ...], origin: Mapping[str, Any] | None, where: str, what: str) -> dict[str, str]:
    """`keys`' values (still base64) from the origin Secret; not there yet is transient: the object
    that fills it is applied in the same delivery, or is another application's."""
    data = (origin or {}).get("data") or {}
    absent = [k for k in keys if not data.get(k)]
    if origin is None or absent:
        lacking = "does not exist" if origin is None else f"has no {', '.join(absent)}"
        raise TargetUnavailableError(f"{what}: Secret {where}, which its values come from, {lacking} yet")
    return {k: str(data[k]) for k in keys}


def fill_body(manifest: Mapping[str, Any], namespace: str, data: Mapping[str, str]) -> dict[str, Any]:
    """The second apply's body: the Secret's identity and the filled keys, nothing else."""
    name = (manifest.get("metadata") or {}).get("name")
    meta = {"name": name, "namespace": namespace}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "data": dict(data)}


def _annotations(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = manifest.get("metadata") or {}
    return meta.get("annotations") or {}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
