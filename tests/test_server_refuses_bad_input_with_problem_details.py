"""What `vessel up` refuses, the API refuses the same way, before anything is stored: 422 as RFC 9457
`application/problem+json`, every problem as {path, line, message} with the line in the request body —
for YAML and for JSON bodies. A body past the size limit is 413 and a body that is neither YAML nor
JSON is 415; an out-of-range list limit is 422 naming the parameter."""

from __future__ import annotations

import contextlib
import http.client
import json
from collections.abc import Iterator

import pytest

from server_process import ServerProcess, admin_token, with_target

BAD = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: bad
spec:
  components:
    - name: web
      type: webservice
      properties:
        image: nginx
      traits:
        - type: scaler
          properties:
            replicas: three
    - name: db
      type: no-such-type
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("home")
    with_target(home, "mem", "memory")
    proc = ServerProcess(home, admin_token(home)).start()
    try:
        yield proc
    finally:
        proc.kill()


def _problems(answer_body: bytes) -> list[tuple[str, int | None]]:
    return [(p["path"], p["line"]) for p in json.loads(answer_body)["problems"]]


def test_every_problem_is_named_with_its_path_and_line(server: ServerProcess) -> None:
    answer = server.request("POST", "/api/v1/applications", BAD)
    assert answer.status == 422
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert (body["status"], body["title"]) == (422, "Invalid application")
    assert sorted(_problems(answer.body)) == [
        ("spec.components[0].traits[0].properties.replicas", 14),
        ("spec.components[1].type", 16),
    ]
    messages = {p["path"]: p["message"] for p in body["problems"]}
    assert "expected integer" in messages["spec.components[0].traits[0].properties.replicas"]
    assert "unknown component type 'no-such-type'" in messages["spec.components[1].type"]
    assert server.request("GET", "/api/v1/applications").json()["items"] == []  # nothing stored


def test_a_json_body_is_checked_the_same_way(server: ServerProcess) -> None:
    doc = {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": "j"},
        "spec": {"components": [{"name": "x", "type": "webservice", "properties": {"image": 7}}]},
    }
    answer = server.request("POST", "/api/v1/applications", json.dumps(doc), content_type="application/json")
    assert answer.status == 422
    assert [p for p, _ in _problems(answer.body)] == ["spec.components[0].properties.image"]


def _post_raw(server: ServerProcess, headers: dict[str, str], chunks: list[bytes]) -> tuple[int, str]:
    """POST with the given headers, sending `chunks` as they are (the server may answer before all are
    sent: then sending stops and the answer is read)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest("POST", "/api/v1/applications")
        for name, value in {**headers, "Authorization": f"Bearer {server.token}"}.items():
            conn.putheader(name, value)
        conn.endheaders()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for chunk in chunks:
                conn.send(chunk)
        answer = conn.getresponse()
        return answer.status, answer.getheader("content-type", "")
    finally:
        conn.close()


def test_a_body_declared_past_the_limit_is_refused_unread(server: ServerProcess) -> None:
    headers = {"Content-Type": "application/yaml", "Content-Length": str(64 * 1024 * 1024)}
    assert _post_raw(server, headers, []) == (413, "application/problem+json")  # not one byte sent


def test_a_streamed_body_is_cut_at_the_limit(server: ServerProcess) -> None:
    piece = b"# padding" + b"." * 1014 + b"\n"  # 1 KiB
    chunk = f"{len(piece) * 64:x}\r\n".encode() + piece * 64 + b"\r\n"  # 64 KiB per chunk
    headers = {"Content-Type": "application/yaml", "Transfer-Encoding": "chunked"}
    assert _post_raw(server, headers, [chunk] * 20 + [b"0\r\n\r\n"]) == (413, "application/problem+json")


def test_only_yaml_or_json_is_read(server: ServerProcess) -> None:
    answer = server.request("POST", "/api/v1/applications", "x", content_type="application/xml")
    assert answer.status == 415


def test_a_bad_namespace_parameter_is_named(server: ServerProcess) -> None:
    good = BAD.replace("replicas: three", "replicas: 3").replace("no-such-type", "webservice")
    answer = server.request("POST", "/api/v1/applications?namespace=Not_A_Label", good)
    assert answer.status == 422
    assert answer.json()["detail"].startswith("query.namespace: ")


def test_a_list_is_bounded(server: ServerProcess) -> None:
    answer = server.request("GET", "/api/v1/applications?limit=100000")
    assert answer.status == 422
    assert [p for p, _ in _problems(answer.body)] == ["query.limit"]
