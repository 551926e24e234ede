from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from pg_cluster import PostgresCluster

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty VESSEL_HOME and no VESSEL_DATABASE_URL: the suite never reads or
    writes the store of the person running it (~/.vessel, or a database their shell points at)."""
    home = tmp_path_factory.mktemp("vessel-home")
    monkeypatch.setenv("VESSEL_HOME", str(home))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    for server_setting in (
        "VESSEL_SERVER",
        "VESSEL_TOKEN",
        "VESSEL_CONFIG",
    ):  # nor a server it is logged in to
        monkeypatch.delenv(server_setting, raising=False)
    return home


@pytest.fixture(autouse=True)
def knows_no_secret() -> None:
    """Every test starts as a new process does: knowing no secret value yet (`model.redaction`), so
    values one test planted never mask another's messages."""
    from vessel.model.redaction import KNOWN

    KNOWN.forget_all()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One real browser for a module of dashboard browser tests (`dashboard_browser`), skipped without it."""
    from dashboard_browser import browser

    with browser() as launched:
        yield launched


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL 15 cluster per test session, started only if a test asks for it.

    With VESSEL_TEST_DATABASE_URL set, that server is used and nothing is started."""
    from pg_cluster import PostgresCluster

    cluster = PostgresCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty database of its own, dropped after the test."""
    slug = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")[:40]
    name = f"t_{slug}_{uuid.uuid4().hex[:8]}"
    url = postgres_cluster.fresh_database(name)
    yield url
    postgres_cluster.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The engine suite runs on both stores: a SQLite file, and a fresh PostgreSQL 15 database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'vessel.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
