"""An application's events stream as Server-Sent Events while they happen, each with its id; a client
that reconnects with `Last-Event-ID` gets exactly the events after that one; a stream needs a token like
everything else; and SIGTERM with a stream open still stops the server promptly (exit 0)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from server_process import ServerProcess, admin_token, with_target

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: web}
spec:
  components:
    - {name: web, type: webservice, properties: {image: "nginx:1"}}
"""
STREAM = "/api/v1/namespaces/default/applications/web/events/stream"


class Stream:
    def __init__(self, server: ServerProcess, last_event_id: str | None = None, token: str | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
        headers = {"Authorization": f"Bearer {token or server.token}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.conn.request("GET", STREAM, headers=headers)
        self.answer = self.conn.getresponse()

    def events(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(id, data) of each event, as it arrives."""
        event_id = None
        while line := self.answer.fp.readline():
            text = line.decode().rstrip("\n")
            if text.startswith("id: "):
                event_id = int(text[4:])
            elif text.startswith("data: ") and event_id is not None:
                yield event_id, json.loads(text[6:])

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def server(isolated_home: Path) -> Iterator[ServerProcess]:
    with_target(isolated_home, "mem", "memory")
    proc = ServerProcess(isolated_home, admin_token(isolated_home)).start("--interval", "0.2")
    try:
        yield proc
    finally:
        proc.kill()


def _until_running(stream: Stream) -> list[tuple[int, dict[str, str]]]:
    seen = []
    for event_id, data in stream.events():
        seen.append((event_id, data))
        if data["reason"] == "Phase" and data["message"].endswith("running"):
            return seen
    raise AssertionError(f"the stream ended before web was running: {seen}")


@pytest.mark.timeout(90)
def test_events_stream_as_they_happen_and_resume_after_the_last_seen(server: ServerProcess) -> None:
    assert server.request("POST", "/api/v1/applications", APP).status == 202
    first = Stream(server)
    assert first.answer.status == 200
    assert first.answer.getheader("content-type", "").startswith("text/event-stream")
    seen = _until_running(first)
    first.close()
    assert seen[0][1]["reason"] == "Revision" and "revision 1 created" in seen[0][1]["message"]
    assert [i for i, _ in seen] == sorted(i for i, _ in seen)
    assert [d for _, d in seen] == server.request("GET", STREAM.removesuffix("/stream")).json()[: len(seen)]

    resumed = Stream(server, last_event_id=str(seen[0][0]))
    again = next(resumed.events())
    resumed.close()
    assert again == seen[1]  # exactly the one after the last seen


def test_a_stream_needs_a_token(server: ServerProcess) -> None:
    assert server.request("POST", "/api/v1/applications", APP).status == 202
    refused = Stream(server, token="vsl_bad.token")
    assert refused.answer.status == 401
    refused.close()


@pytest.mark.timeout(60)
def test_sigterm_with_a_stream_open_exits_zero(server: ServerProcess) -> None:
    assert server.request("POST", "/api/v1/applications", APP).status == 202
    stream = Stream(server)
    assert next(stream.events())[1]["reason"] == "Revision"  # the stream is open and flowing
    assert server.stop(timeout=20) == 0, server.log.read_text()
    list(stream.events())  # reads to the end: the server closed the stream
    stream.close()
