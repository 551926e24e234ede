"""`POST /api/v1/definitions/render` and `/vet` on a real server: render answers what `vessel def render
-o json` prints (a `List`, with each item's `sources`); a wrong property is 422 problem+json naming the
field; vet answers each definition sent with the line its document starts at, and a broken one is 422
problem+json with `{path, line, message}` at its line of the body. Neither stores anything: the
definitions sent are not the server's afterwards, and neither call is in the audit log (as dry-run)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from addon_fixtures import GREETING
from server_process import ServerProcess, admin_token

pytestmark = pytest.mark.timeout(60)
BROKEN = GREETING.format(name="broken").replace("{{ parameter.message }}", "{{ parameter.message")


@pytest.fixture
def server(isolated_home: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(isolated_home, admin_token(isolated_home)).start()
    try:
        yield proc
    finally:
        proc.kill()


def _render(server: ServerProcess, doc: object) -> tuple[int, str, dict[str, object]]:
    answer = server.request(
        "POST", "/api/v1/definitions/render", json.dumps(doc), content_type="application/json"
    )
    return answer.status, answer.headers.get("content-type", ""), answer.json()


def test_render_answers_the_manifests_or_the_wrong_field(server: ServerProcess) -> None:
    status, _, listed = _render(server, {"name": "webservice", "properties": {"image": "nginx:1"}})
    assert status == 200, listed
    assert listed["kind"] == "List"
    assert [i["kind"] for i in listed["items"]] == ["Deployment"]  # type: ignore[union-attr]
    assert listed["sources"] == [{"source": "sample-app", "component": "sample", "origin": "the workload"}]

    status, media, problem = _render(server, {"name": "webservice", "properties": {"image": 1}})
    assert (status, media) == (422, "application/problem+json")
    assert problem["problems"] == [
        {"path": "component.properties.image", "line": None, "message": "expected string, got 1"}
    ]


def test_vet_answers_each_definition_at_its_line_or_the_problem_at_its_line(server: ServerProcess) -> None:
    two = GREETING.format(name="first") + "---\n" + GREETING.format(name="second")
    answer = server.request("POST", "/api/v1/definitions/vet", two)
    assert answer.status == 200, answer.body
    second_line = GREETING.count("\n") + 2  # after the first document and the `---`
    assert [(d["name"], d["line"], d["notes"]) for d in answer.json()] == [
        ("first", 1, []),
        ("second", second_line, []),
    ]

    answer = server.request("POST", "/api/v1/definitions/vet", GREETING.format(name="ok") + "---\n" + BROKEN)
    assert answer.status == 422, answer.body
    assert answer.headers["content-type"] == "application/problem+json"
    [problem] = answer.json()["problems"]
    unclosed = second_line + BROKEN.splitlines().index("              message: {{ parameter.message")
    assert problem["line"] == unclosed, "the line of the body the unclosed expression is on"
    assert problem["path"] == "spec.schematic.jinja.templates.kubernetes"
    assert "template syntax error" in problem["message"]


def test_neither_stores_nor_audits_anything(server: ServerProcess) -> None:
    assert server.request("POST", "/api/v1/definitions/vet", GREETING.format(name="sent")).status == 200
    assert _render(server, {"name": "scaler", "properties": {"replicas": 2}})[0] == 200
    assert server.request("GET", "/api/v1/definitions/sent").status == 404, "a vetted definition is not kept"
    audited = [e["action"] for e in server.request("GET", "/api/v1/audit").json()]
    assert not [a for a in audited if "/definitions/" in a], audited
