"""The readiness probe of the shared PostgreSQL instance: exit 0 once it accepts connections (a
superuser `SELECT 1` through its socket), else 1 with the reason on stderr."""

from __future__ import annotations

import sys

from vessel.errors import VesselError
from vessel.targets.local.postgresql.instance import instance


def main() -> int:
    try:
        import psycopg  # the optional `postgres` extra
    except ImportError:
        print("postgresql: no psycopg driver: pip install 'vessel[postgres]'", file=sys.stderr)
        return 1
    try:
        with psycopg.connect(**instance().superuser_dsn()) as conn:  # type: ignore[arg-type]
            conn.execute("SELECT 1")
    except (psycopg.Error, VesselError) as exc:
        print(f"postgresql is not accepting connections: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
