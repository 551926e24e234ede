"""Who may call the API: creating users and tokens, and telling whether a presented token is good.

A token reads `vsl_<key id>.<secret>`: the key id (public, 48 bits) finds the row, the secret (256
bits from `secrets.token_urlsafe`) is checked against the SHA-256 digest stored for it with
`hmac.compare_digest`, so how long the comparison takes tells nothing about the secret. A token is
shown once, when it is created; it is good until it expires (`--expires 30d`) or is revoked. The CLI
(`vessel user add`, `vessel token create|revoke|list`, `vessel server init`) and the API use these
same functions, and every change they make is written to the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from vessel.controller import audit
from vessel.errors import ValidationError
from vessel.model.duration import parse_duration
from vessel.model.kube_names import dns_label
from vessel.store.accounts import Accounts, UserRecord
from vessel.store.store import Store

PREFIX = "vsl_"
_DAYS = re.compile(r"^(\d{1,5})d$")


@dataclass(frozen=True)
class Issued:
    key_id: str
    token: str  # shown once: the store keeps only its digest
    user: str
    expires_at: float | None


def expiry_seconds(text: str, option: str = "--expires") -> float:
    """`30d`, `12h`, `90m`…: a duration in days or Go's units (how long a token lives, how far back
    stats look); a wrong or non-positive one is an error naming `option`."""
    days = _DAYS.match(text)
    try:
        seconds = int(days.group(1)) * 86400.0 if days else parse_duration(text)
    except ValueError as exc:
        raise ValidationError(f"{option}: {exc}", hint="e.g. 30d, 12h, 90m") from None
    if seconds <= 0:
        raise ValidationError(f"{option}: {text!r} is not a positive duration", hint="e.g. 30d, 12h")
    return seconds


def check_user_name(name: str) -> None:
    if problem := dns_label(name):
        raise ValidationError(f"user name {name!r}: {problem}")


def add_user(store: Store, name: str, now: float, *, actor: str, admin: bool = False) -> UserRecord:
    check_user_name(name)
    user = Accounts(store).add_user(name, admin=admin, now=now)
    audit.record(store, now, actor, "user add" + (" --admin" if admin else ""), name, "ok")
    return user


def first_admin(store: Store, name: str, now: float, *, actor: str) -> Issued:
    """The first user of a server, an admin, with a token that never expires; refused once users exist."""
    check_user_name(name)
    user = Accounts(store).add_user(name, admin=True, now=now, only_if_none=True)
    audit.record(store, now, actor, "server init", name, "ok")
    return issue_token(store, user, now, None, actor=actor)


def issue_token(store: Store, user: UserRecord, now: float, lifetime: float | None, *, actor: str) -> Issued:
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    expires_at = None if lifetime is None else now + lifetime
    Accounts(store).add_token(user, key_id, _digest(secret), now, expires_at)
    audit.record(store, now, actor, "token create", f"{key_id} ({user.name})", "ok")
    return Issued(key_id, f"{PREFIX}{key_id}.{secret}", user.name, expires_at)


def revoke_token(store: Store, key_id: str, now: float, *, actor: str) -> None:
    Accounts(store).revoke(key_id, now)
    audit.record(store, now, actor, "token revoke", key_id, "ok")


def authenticate(store: Store, presented: str, now: float) -> UserRecord | None:
    """The user a presented token belongs to, or None: malformed, unknown, wrong secret, expired and
    revoked tokens all look the same to the caller."""
    key_id, secret = _parts(presented)
    found = Accounts(store).token(key_id) if key_id else None
    if found is None:
        return None
    token, user = found
    if not hmac.compare_digest(token.digest, _digest(secret)):
        return None
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    return user


def _parts(presented: str) -> tuple[str, str]:
    if not presented.startswith(PREFIX) or "." not in presented:
        return "", ""
    key_id, _, secret = presented[len(PREFIX) :].partition(".")
    return key_id, secret


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
