"""A database and a user per binding in the shared PostgreSQL instance — "provision once, bind many".

`ensure` is idempotent: the role and the database are created when missing, the password is generated
once (`secrets.token_urlsafe`) and kept where the local target keeps secrets, one mode-0600 file per
variable under `VESSEL_HOME/secrets/<secret>/` (DATABASE_URL, PGHOST, PGPORT, PGDATABASE, PGUSER,
PGPASSWORD), which the component's env reads through `secretKeyRef` at each start. A later apply reuses
the stored password (and sets it again, so a role and its file never disagree). The database belongs to
its user and PUBLIC may not connect to it, so another application's user is refused at the door.

The password passes to PostgreSQL only inside the statement that sets it; the server is started with
`log_min_error_statement=panic`, so not even a failed statement lands in its log; Vessel never prints it
and remembers it as a secret (`redaction`), so an error that quoted it would show `***`.

`drop` (a binding with `onDelete: drop`, when its application is deleted) removes the database, the user
and the secret files; otherwise all three are kept, and binding again finds them as they were.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING
from urllib.parse import quote

from vessel.errors import Location, NotFoundError, TargetRejectedError, TargetUnavailableError
from vessel.model import secret_files
from vessel.targets.local.binding_spec import Binding, kept_password, write_secret
from vessel.targets.local.postgresql.instance import instance

if TYPE_CHECKING:
    import psycopg

HOST = "127.0.0.1"
KEYS = ("DATABASE_URL", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD")
PUBLIC = ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER")  # names, not secrets: never masked


def ensure(binding: Binding) -> None:
    """Create what is missing (role, database, secret files); TargetUnavailableError while the instance
    does not answer (retried), TargetRejectedError when it was never started."""
    port = _port(binding)
    password = kept_password(binding, "PGPASSWORD")
    with _superuser(binding) as conn:
        _role(conn, binding.name, password)
        _database(conn, binding.name)
    write_secret(binding, _values(binding.name, password, port), PUBLIC)


def drop(binding: Binding) -> None:
    """Remove the database, its user and its secret files (nothing left is no error)."""
    with _superuser(binding) as conn:
        from psycopg import sql

        name = sql.Identifier(binding.name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(name))
    shutil.rmtree(secret_files.secrets_dir() / binding.secret, ignore_errors=True)


def _port(binding: Binding) -> int:
    try:
        return instance().port()
    except NotFoundError as exc:
        raise TargetRejectedError(
            f"database {binding.name!r}: {exc.message}", Location(path=binding.where), hint=exc.hint
        ) from None


def _superuser(binding: Binding) -> psycopg.Connection[tuple[object, ...]]:
    """The superuser's connection. psycopg is imported here, not with the local target: it is the
    optional `postgres` extra, which only bindings to PostgreSQL need."""
    try:
        import psycopg
    except ImportError:
        raise TargetRejectedError(
            f"database {binding.name!r}: binding to PostgreSQL needs the psycopg driver",
            Location(path=binding.where),
            hint="pip install 'vessel[postgres]'",
        ) from None
    try:
        return psycopg.connect(**instance().superuser_dsn(), autocommit=True)  # type: ignore[arg-type]
    except psycopg.OperationalError as exc:
        raise TargetUnavailableError(
            f"database {binding.name!r}: the shared PostgreSQL instance is not accepting connections:"
            f" {str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__}",
            hint="vessel status addon-postgresql -n vessel-system",
        ) from None


def _role(conn: psycopg.Connection[tuple[object, ...]], name: str, password: str) -> None:
    from psycopg import sql

    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    verb = "ALTER" if exists else "CREATE"
    statement = sql.SQL(verb + " ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}")
    conn.execute(statement.format(sql.Identifier(name), sql.Literal(password)))


def _database(conn: psycopg.Connection[tuple[object, ...]], name: str) -> None:
    from psycopg import sql

    ident = sql.Identifier(name)
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0 ENCODING 'UTF8'").format(ident, ident)
        )
    conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(ident))


def _values(database: str, password: str, port: int) -> dict[str, str]:
    url = f"postgresql://{database}:{quote(password, safe='')}@{HOST}:{port}/{database}"
    values = [url, HOST, str(port), database, database, password]
    return dict(zip(KEYS, values, strict=True))
