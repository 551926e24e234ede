"""The list of applications filters by namespace, phase, health and label selector and pages through
the rest with `continue` (each page bounded by `limit`); /readyz says ready only while the store's
schema is current; /metrics counts applications by phase, reconcile passes and deliveries; the OpenAPI
document describes every route."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

from server_process import ServerProcess, admin_token, wait_for, with_target
from vessel.store.store import MIGRATIONS, Store


def _app(name: str, namespace: str, team: str) -> str:
    return "\n".join(
        [
            "apiVersion: core.oam.dev/v1beta1",
            "kind: Application",
            f"metadata: {{name: {name}, namespace: {namespace}, labels: {{team: {team}}}}}",
            "spec:",
            "  components:",
            f"    - {{name: {name}, type: webservice, properties: {{image: 'nginx:1.27'}}}}",
            "",
        ]
    )


APPS = [("a1", "alpha", "red"), ("a2", "alpha", "blue"), ("b1", "beta", "red"), ("b2", "beta", "red")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("home")
    with_target(home, "mem", "memory")
    proc = ServerProcess(home, admin_token(home)).start("--interval", "0.2")
    try:
        for name, namespace, team in APPS:
            assert proc.request("POST", "/api/v1/applications", _app(name, namespace, team)).status == 202
        wait_for(lambda: len(_names(proc, "?phase=running")) == len(APPS), "every application running")
        yield proc
    finally:
        proc.kill()


def _names(server: ServerProcess, query: str) -> list[str]:
    answer = server.request("GET", "/api/v1/applications" + query)
    assert answer.status == 200, answer.body
    return [item["name"] for item in answer.json()["items"]]


def test_filters(server: ServerProcess) -> None:
    assert _names(server, "") == ["a1", "a2", "b1", "b2"]
    assert _names(server, "?namespace=beta") == ["b1", "b2"]
    assert _names(server, "?selector=team%3Dred") == ["a1", "b1", "b2"]
    assert _names(server, "?selector=team!%3Dred&namespace=alpha") == ["a2"]
    assert _names(server, "?selector=!team") == []
    assert _names(server, "?health=healthy") == ["a1", "a2", "b1", "b2"]
    assert _names(server, "?health=unhealthy") == []
    assert _names(server, "?phase=workflowFailed") == []


def test_pages(server: ServerProcess) -> None:
    seen: list[str] = []
    query = "?limit=3"
    while True:
        page = server.request("GET", "/api/v1/applications" + query).json()
        assert len(page["items"]) <= 3
        seen += [item["name"] for item in page["items"]]
        if page["continue"] is None:
            break
        query = f"?limit=3&continue={page['continue']}"
    assert seen == ["a1", "a2", "b1", "b2"]


def test_a_bad_selector_is_named(server: ServerProcess) -> None:
    answer = server.request("GET", "/api/v1/applications?selector=a%3D%3Db%3Dc")
    assert answer.status == 422
    assert "selector" in answer.json()["problems"][0]["message"]


def test_metrics(server: ServerProcess) -> None:
    text = server.request("GET", "/metrics", token=None).body.decode()
    assert 'vessel_applications{phase="running"} 4.0' in text
    assert 'vessel_deliveries_total{project="",result="succeeded"} 4.0' in text
    assert 'vessel_delivery_seconds_count{project="",result="succeeded"} 4.0' in text
    passes = next(line for line in text.splitlines() if line.startswith("vessel_reconcile_passes_total"))
    assert float(passes.split()[1]) >= 1


def test_openapi_describes_the_routes(server: ServerProcess) -> None:
    paths = server.request("GET", "/openapi.json", token=None).json()["paths"]
    assert {
        "/api/v1/applications",
        "/api/v1/namespaces/{namespace}/applications/{name}",
        "/api/v1/dry-run",
    } <= set(paths)
    assert server.request("GET", "/docs", token=None).status == 200


def test_ready_only_while_the_schema_is_current(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    proc = ServerProcess(home, admin_token(home)).start()
    try:
        assert proc.request("GET", "/readyz", token=None).status == 200
        store = Store.open(f"sqlite:///{home / 'vessel.db'}")
        try:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            with store.engine.begin() as conn:
                config.attributes["connection"] = conn
                command.stamp(config, "0007")  # as if a migration were still to run
        finally:
            store.close()
        answer = proc.request("GET", "/readyz", token=None)
        assert answer.status == 503
        assert "migration" in answer.json()["detail"]
        assert proc.request("GET", "/healthz", token=None).status == 200  # alive all the same
    finally:
        proc.kill()
