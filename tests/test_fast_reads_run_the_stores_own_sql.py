"""The SQL that `vessel ls` and `vessel status` run without SQLAlchemy (`store/read_sql.py`, checked in) is
what the Store's own read statements compile to now: a changed statement or table cannot leave the fast
reads running yesterday's SQL. After such a change: `.venv/bin/python -m vessel.store.read_statements`."""

from __future__ import annotations

import pytest

from vessel.store.read_sql import QUERIES
from vessel.store.read_statements import READS, compiled


@pytest.mark.parametrize("name", sorted(READS))
def test_the_checked_in_sql_is_what_the_statement_compiles_to(name: str) -> None:
    assert QUERIES.get(name) == compiled(READS[name]), (
        f"store/read_sql.py is stale for {name!r}: run `python -m vessel.store.read_statements`"
    )


def test_every_checked_in_query_is_one_of_the_stores_statements() -> None:
    assert sorted(QUERIES) == sorted(READS)
