"""`vessel user add` and `vessel token create | revoke | list`: who may call a `vessel server`.

A token is printed once, on stdout alone (so `TOKEN=$(vessel token create --user ci)` works); the store
keeps only its hash. `vessel token list` shows each token's public id, never its secret.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from vessel.cli.ls import local_time
from vessel.cli.output import View, ViewOption, show
from vessel.cli.report import err, out, reporting
from vessel.cli.session import open_store
from vessel.controller.accounts import add_user, expiry_seconds, issue_token, revoke_token
from vessel.controller.audit import MAX_ENTRIES, audit_list, local_actor
from vessel.controller.views import rfc3339
from vessel.store.accounts import Accounts
from vessel.workflow.clock import SystemClock

users = typer.Typer(help="Users of a `vessel server`.", no_args_is_help=True)
tokens = typer.Typer(help="Bearer tokens of a `vessel server`'s users.", no_args_is_help=True)
UserName = Annotated[str, typer.Argument(help="User name (a DNS label).")]


@users.command("add")
def user_add(
    name: UserName, admin: Annotated[bool, typer.Option("--admin", help="May do everything.")] = False
) -> None:
    """Add a user (then `vessel token create --user NAME` gives it a token)."""
    with reporting():
        store = open_store()
        try:
            add_user(store, name, SystemClock().now(), actor=local_actor(), admin=admin)
        finally:
            store.close()
    out.print(f"user {name} added")


@tokens.command("create")
def token_create(
    user: Annotated[str, typer.Option("--user", help="Whose token.")],
    expires: Annotated[
        str | None, typer.Option(help="How long it is good for: 30d, 12h… (default: never).")
    ] = None,
) -> None:
    """Create a token for USER and print it (once: only its hash is kept)."""
    with reporting():
        lifetime = expiry_seconds(expires) if expires is not None else None
        store = open_store()
        try:
            issued = issue_token(
                store, Accounts(store).user(user), SystemClock().now(), lifetime, actor=local_actor()
            )
        finally:
            store.close()
    until = f", expires {rfc3339(issued.expires_at)}" if issued.expires_at is not None else ""
    err.print(f"token {issued.key_id} for {issued.user}{until} (shown only now, keep it secret):")
    out.print(issued.token)


@tokens.command("revoke")
def token_revoke(
    key_id: Annotated[str, typer.Argument(help="The token's id (`vessel token list`).")],
) -> None:
    """Revoke a token: it is refused from now on."""
    with reporting():
        store = open_store()
        try:
            revoke_token(store, key_id, SystemClock().now(), actor=local_actor())
        finally:
            store.close()
    out.print(f"token {key_id} revoked")


@tokens.command("list")
def token_list(user: Annotated[str | None, typer.Option("--user", help="Only this user's.")] = None) -> None:
    """List tokens: id, user, created, expires, revoked (never the secret)."""
    with reporting():
        store = open_store()
        try:
            found = Accounts(store).tokens(user)
        finally:
            store.close()
    table = Table("ID", "USER", "CREATED", "EXPIRES", "REVOKED", box=None, pad_edge=False)
    for t in found:
        when = [t.created_at, t.expires_at, t.revoked_at]
        cells = [t.key_id, t.user, *(local_time(rfc3339(w)) if w is not None else "-" for w in when)]
        table.add_row(*(Text(c) for c in cells))
    out.print(table)


def audit(
    limit: Annotated[int, typer.Option(min=1, max=MAX_ENTRIES, help="How many of the latest entries.")] = 50,
    output: ViewOption = View.table,
) -> None:
    """The audit log: who changed what through the API (and accounts from here), and how it ended."""
    with reporting():
        store = open_store()
        try:
            entries = audit_list(store, limit)
        finally:
            store.close()
    show(entries, output, _audit_table)


def _audit_table(rows: list[dict[str, Any]]) -> None:
    table = Table("TIME", "ACTOR", "ACTION", "OBJECT", "OUTCOME", box=None, pad_edge=False)
    for r in rows:
        cells = (local_time(r["time"]), r["actor"], r["action"], r["object"], r["outcome"])
        table.add_row(*(Text(c) for c in cells))
    out.print(table)
