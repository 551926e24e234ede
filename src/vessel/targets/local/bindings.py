"""`spec.bindings` of a local object: the shared services its processes use (the `uses` trait).

    spec:
      bindings:
        postgresql: {database: shop_orders, secret: postgresql-shop-orders, onDelete: keep}
        redis: {user: shop_orders, secret: redis-shop-orders, onDelete: drop}

Before the object's processes start, each binding is provisioned in the target's shared instance (see
`postgresql.provision`, `redis.provision`): so the secret its env reads through `secretKeyRef` exists by
then. When the object is deleted, a binding with `onDelete: drop` drops what it provisioned; `keep` (the
default) leaves the database or keys, the user and its credentials for the next delivery. A binding
taken away from an object that stays (its `uses` trait removed, or pointed at another database) is
released the same way, as the object's new manifest is applied: deleting the application and removing
the trait are two ways of saying the component no longer uses it, and `onDelete` was the binding's own
answer to what then happens to its data. Either way, a database or user that another object of the
target still binds to (two components of one application share `NAMESPACE_APP`) is not dropped: the
last object to let go of it decides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from vessel.errors import Location, TargetRejectedError
from vessel.model import secret_files
from vessel.targets.local.binding_spec import DROP, IDENTIFIER, KEEP, Binding
from vessel.targets.local.postgresql import provision as postgresql
from vessel.targets.local.redis import provision as redis

ADDONS = {"postgresql": "database", "redis": "user"}  # addon -> the field naming what it creates


def parse(manifest: Mapping[str, Any]) -> list[tuple[str, Binding]]:
    spec = manifest.get("spec") or {}
    raw = spec.get("bindings") if isinstance(spec, Mapping) else None
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        raise TargetRejectedError(
            "spec.bindings must be a mapping of addon to binding", Location(path="spec.bindings")
        )
    return [(addon, _binding(addon, value, f"spec.bindings.{addon}")) for addon, value in raw.items()]


def provision_all(manifest: Mapping[str, Any]) -> None:
    for addon, binding in parse(manifest):
        (postgresql.ensure if addon == "postgresql" else redis.ensure)(binding)


Bound = set[tuple[str, str]]  # (addon, database or user name)
BoundElsewhere = Callable[[], Bound]  # asked only when there is something to drop (it reads every object)


def release_all(manifest: Mapping[str, Any], bound_elsewhere: BoundElsewhere) -> None:
    """Drop what the deleted object's `onDelete: drop` bindings provisioned, unless still bound elsewhere."""
    _release(parse(manifest), bound_elsewhere)


def release_removed(old: Mapping[str, Any], new: Mapping[str, Any], bound_elsewhere: BoundElsewhere) -> None:
    """Drop what the `onDelete: drop` bindings of `old` that `new` no longer has provisioned (unless still
    bound elsewhere)."""
    kept = names(new)
    _release([(a, b) for a, b in parse(old) if (a, b.name) not in kept], bound_elsewhere)


def names(manifest: Mapping[str, Any]) -> Bound:
    """What the object binds to: (addon, name) of each binding."""
    return {(addon, binding.name) for addon, binding in parse(manifest)}


def _release(found: list[tuple[str, Binding]], bound_elsewhere: BoundElsewhere) -> None:
    dropping = [(addon, binding) for addon, binding in found if binding.on_delete == DROP]
    still_bound = bound_elsewhere() if dropping else set()
    for addon, binding in dropping:
        if (addon, binding.name) not in still_bound:
            (postgresql.drop if addon == "postgresql" else redis.drop)(binding)


def _binding(addon: str, value: Any, where: str) -> Binding:
    field = ADDONS.get(addon)
    if field is None:
        raise TargetRejectedError(
            f"{where}: the local target provides no shared {addon!r}",
            Location(path=where),
            hint=f"it provides: {', '.join(ADDONS)}",
        )
    if not isinstance(value, Mapping) or set(value) - {field, "secret", "onDelete"}:
        raise TargetRejectedError(
            f"{where} must be a mapping of {field}, secret and onDelete", Location(path=where)
        )
    name, secret = value.get(field), value.get("secret")
    on_delete = value.get("onDelete", KEEP)
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name):
        raise TargetRejectedError(
            f"{where}.{field}: {name!r} is not a name Vessel creates in {addon}",
            Location(path=f"{where}.{field}"),
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
    return Binding(name, secret, str(on_delete), where)
