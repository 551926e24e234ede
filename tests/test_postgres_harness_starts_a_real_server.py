"""The test harness gives each test a fresh database on a real PostgreSQL 15 server."""

from __future__ import annotations

import sqlalchemy as sa

from pg_cluster import PostgresCluster


def test_fresh_database_is_a_working_postgres_15(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            version = conn.execute(sa.text("select version()")).scalar_one()
            assert version.startswith("PostgreSQL 15."), version
            conn.execute(sa.text("create table apps (id serial primary key, name text not null)"))
            conn.execute(sa.text("insert into apps (name) values (:name)"), {"name": "web"})
        with engine.connect() as conn:
            assert conn.execute(sa.text("select id, name from apps")).all() == [(1, "web")]
    finally:
        engine.dispose()


def test_fresh_databases_are_isolated(postgres_url: str, postgres_cluster: PostgresCluster) -> None:
    other_url = postgres_cluster.fresh_database(f"{sa.make_url(postgres_url).database}_other")
    first, second = sa.create_engine(postgres_url), sa.create_engine(other_url)
    try:
        with first.begin() as conn:
            conn.execute(sa.text("create table only_here (x int)"))
            conn.execute(sa.text("insert into only_here values (1)"))
        with second.connect() as conn:
            tables = conn.execute(sa.text("select tablename from pg_tables where schemaname = 'public'"))
            assert tables.all() == []
        # fresh_database really starts from scratch, even for a name that is already taken
        again = sa.create_engine(postgres_cluster.fresh_database(sa.make_url(postgres_url).database or ""))
        try:
            with again.connect() as conn:
                assert conn.execute(sa.text("select to_regclass('only_here')")).scalar_one() is None
        finally:
            again.dispose()
    finally:
        first.dispose()
        second.dispose()
        postgres_cluster.drop_database(sa.make_url(other_url).database or "")
