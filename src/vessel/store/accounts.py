"""Accounts: the users of a `vessel server` and their bearer tokens, in the store.

A token's secret never reaches the store: only its SHA-256 digest does (a token is 256 random bits, so
a plain hash is enough — there is nothing to guess), with its public `key_id`, by which it is found,
listed and revoked. Deciding whether a presented token is good is the controller's (controller/accounts.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from vessel.errors import ConflictError, NotFoundError
from vessel.store import schema as t
from vessel.store.store import Store


@dataclass(frozen=True)
class UserRecord:
    id: int
    name: str
    admin: bool
    created_at: float


@dataclass(frozen=True)
class TokenRecord:
    key_id: str
    user: str
    digest: str
    created_at: float
    expires_at: float | None
    revoked_at: float | None


class Accounts:
    """The users and tokens of one store."""

    def __init__(self, store: Store):
        self.store = store

    def add_user(self, name: str, *, admin: bool, now: float, only_if_none: bool = False) -> UserRecord:
        """A new user; a name taken is a ConflictError. With `only_if_none`, a ConflictError too when
        any user exists already (the first admin is made once, in the same transaction as the check)."""
        with self.store.write_tx() as c:
            if only_if_none and c.execute(sa.select(sa.func.count()).select_from(t.users)).scalar_one():
                raise ConflictError("this server already has users", hint="use `vessel user add` instead")
            if c.execute(sa.select(t.users.c.id).where(t.users.c.name == name)).first() is not None:
                raise ConflictError(f"user {name!r} exists already")
            values = {"name": name, "admin": admin, "created_at": now}
            new_id = c.execute(t.users.insert().values(**values)).inserted_primary_key
        return UserRecord(int(new_id[0]) if new_id else 0, name, admin, now)

    def user(self, name: str) -> UserRecord:
        with self.store.tx() as c:
            row = c.execute(sa.select(t.users).where(t.users.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"user {name!r} not found", hint="`vessel user add NAME` creates one")
        return _user(row)

    def users(self) -> list[UserRecord]:
        with self.store.tx() as c:
            return [_user(r) for r in c.execute(sa.select(t.users).order_by(t.users.c.name))]

    def add_token(
        self, user: UserRecord, key_id: str, digest: str, now: float, expires_at: float | None
    ) -> None:
        values = {"key_id": key_id, "user_id": user.id, "digest": digest, "created_at": now}
        with self.store.tx() as c:
            c.execute(t.tokens.insert().values(expires_at=expires_at, **values))

    def token(self, key_id: str) -> tuple[TokenRecord, UserRecord] | None:
        """The token with this public id and its user, or None."""
        with self.store.tx() as c:
            row = c.execute(_TOKEN_BY_ID, {"key_id": key_id}).first()
        if row is None:
            return None
        return _token(row), UserRecord(row.id, row.name, row.admin, row.user_created_at)

    def tokens(self, user: str | None = None) -> list[TokenRecord]:
        query = _tokens().order_by(t.tokens.c.created_at, t.tokens.c.id)
        if user is not None:
            query = query.where(t.users.c.name == user)
        with self.store.tx() as c:
            return [_token(r) for r in c.execute(query)]

    def revoke(self, key_id: str, now: float) -> None:
        """Revoke a token (revoking one revoked already changes nothing); an unknown id is NotFoundError."""
        c_ = t.tokens.c
        with self.store.tx() as c:
            found = c.execute(sa.select(c_.revoked_at).where(c_.key_id == key_id)).first()
            if found is None:
                raise NotFoundError(f"token {key_id!r} not found", hint="`vessel token list` shows them")
            if found.revoked_at is None:
                c.execute(sa.update(t.tokens).where(c_.key_id == key_id).values(revoked_at=now))


def _tokens() -> sa.Select[Any]:
    return sa.select(
        t.tokens.c.key_id,
        t.tokens.c.digest,
        t.tokens.c.created_at,
        t.tokens.c.expires_at,
        t.tokens.c.revoked_at,
        t.users.c.name,
        t.users.c.created_at.label("user_created_at"),
    ).join(t.users, t.users.c.id == t.tokens.c.user_id)


def _user(r: Any) -> UserRecord:
    return UserRecord(r.id, r.name, r.admin, r.created_at)


def _token(r: Any) -> TokenRecord:
    return TokenRecord(r.key_id, r.name, r.digest, r.created_at, r.expires_at, r.revoked_at)


# The token every request presents, read with its user: built once (it is read on every request).
_TOKEN_BY_ID = (
    _tokens().add_columns(t.users.c.id, t.users.c.admin).where(t.tokens.c.key_id == sa.bindparam("key_id"))
)
