"""Run a benchmark against a throwaway PostgreSQL 15 server: the test suite's harness (tests/pg_cluster.py).

    .venv/bin/python bench/postgres.py bench/engine.py --apps 1000 --steady 1000

Starts a cluster in a temp dir (as the `postgres` OS user when run as root; durability switched off, as
in the tests), runs the benchmark with `--url` pointing at a fresh database on it, and stops the server
when the benchmark ends, however it ends. The benchmark's output passes through unchanged, so its last
line is still its JSON figures; its exit code is this one's. With VESSEL_TEST_DATABASE_URL set, that
server is used instead, as in the tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from pg_cluster import PostgresCluster  # tests/ is not a package: on the path above

DATABASE = "vessel_bench"


def main(argv: list[str]) -> int:
    if not argv or not argv[0].endswith(".py"):
        print("usage: bench/postgres.py BENCH.py [ARGS...]", file=sys.stderr)
        return 2
    with PostgresCluster() as cluster:
        url = cluster.fresh_database(DATABASE)
        return subprocess.run([sys.executable, *argv, "--url", url], check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
