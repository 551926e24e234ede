"""`spec.bindings` of a local object: the shared services its processes use (the `uses` trait).

    spec:
      bindings:
        postgresql: {database: shop_orders, secret: postgresql-shop-orders, onDelete: keep}

Before the object's processes start, each binding is provisioned in the target's shared instance (see
`postgresql.provision`): so the secret its env reads through `secretKeyRef` exists by then. When the
object is deleted, a binding with `onDelete: drop` drops what it provisioned; `keep` (the default) leaves
the database, its user and its credentials for the next time the application is delivered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vessel.errors import Location, TargetRejectedError
from vessel.model import secret_files
from vessel.targets.local.postgresql import provision
from vessel.targets.local.postgresql.provision import DROP, IDENTIFIER, KEEP, Binding

ADDONS = ("postgresql",)


def parse(manifest: Mapping[str, Any]) -> list[Binding]:
    spec = manifest.get("spec") or {}
    raw = spec.get("bindings") if isinstance(spec, Mapping) else None
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        raise TargetRejectedError(
            "spec.bindings must be a mapping of addon to binding", Location(path="spec.bindings")
        )
    return [_binding(addon, value, f"spec.bindings.{addon}") for addon, value in raw.items()]


def provision_all(manifest: Mapping[str, Any]) -> None:
    for binding in parse(manifest):
        provision.ensure(binding)


def release_all(manifest: Mapping[str, Any]) -> None:
    for binding in parse(manifest):
        if binding.on_delete == DROP:
            provision.drop(binding)


def _binding(addon: str, value: Any, where: str) -> Binding:
    if addon not in ADDONS:
        raise TargetRejectedError(
            f"{where}: the local target provides no shared {addon!r}",
            Location(path=where),
            hint=f"it provides: {', '.join(ADDONS)}",
        )
    if not isinstance(value, Mapping) or set(value) - {"database", "secret", "onDelete"}:
        raise TargetRejectedError(
            f"{where} must be a mapping of database, secret and onDelete", Location(path=where)
        )
    database, secret = value.get("database"), value.get("secret")
    on_delete = value.get("onDelete", KEEP)
    if not isinstance(database, str) or not IDENTIFIER.fullmatch(database):
        raise TargetRejectedError(
            f"{where}.database: {database!r} is not a PostgreSQL name Vessel creates",
            Location(path=f"{where}.database"),
            hint="lower-case letters, digits and '_', starting with a letter or '_', at most 63",
        )
    if not isinstance(secret, str) or not secret_files.PART.fullmatch(secret) or secret in (".", ".."):
        raise TargetRejectedError(
            f"{where}.secret: {secret!r} is not a secret name", Location(path=f"{where}.secret")
        )
    if on_delete not in (KEEP, DROP):
        raise TargetRejectedError(
            f"{where}.onDelete: expected keep or drop, got {on_delete!r}", Location(path=f"{where}.onDelete")
        )
    return Binding(database, secret, str(on_delete), where)
