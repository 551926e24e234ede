"""Optimistic concurrency: GET gives an application's ETag (its latest revision), and an apply with
`If-Match` lands only if that is still the latest — otherwise 412 (problem+json) and nothing stored.
Of two changes made against one version at the same moment, exactly one lands. `If-Match: "0"` means
"only if the application is new"."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from server_process import Answer, ServerProcess, admin_token, with_target

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: web}}
spec:
  components:
    - {{name: web, type: webservice, properties: {{image: "nginx:{tag}"}}}}
"""
STATUS = "/api/v1/namespaces/default/applications/web"


@pytest.fixture
def server(isolated_home: Path) -> Iterator[ServerProcess]:
    with_target(isolated_home, "mem", "memory")
    proc = ServerProcess(isolated_home, admin_token(isolated_home)).start()
    try:
        yield proc
    finally:
        proc.kill()


def _apply(server: ServerProcess, tag: str, if_match: str) -> Answer:
    return server.request("POST", "/api/v1/applications", APP.format(tag=tag), headers={"If-Match": if_match})


def test_a_change_lands_only_on_the_version_it_was_made_against(server: ServerProcess) -> None:
    assert _apply(server, "1", '"0"').status == 202  # new
    refused = _apply(server, "2", '"0"')  # not new any more
    assert refused.status == 412
    assert refused.headers["content-type"] == "application/problem+json"
    assert "revision 1" in refused.json()["detail"]

    got = server.request("GET", STATUS)
    assert got.headers["etag"] == '"1"'
    assert _apply(server, "2", got.headers["etag"]).status == 202
    assert _apply(server, "3", got.headers["etag"]).status == 412  # made against 1, but 2 is the latest
    assert server.request("GET", STATUS).headers["etag"] == '"2"'
    assert _apply(server, "3", "not-an-etag").status == 422


def test_of_two_changes_at_once_exactly_one_lands(server: ServerProcess) -> None:
    assert _apply(server, "1", '"0"').status == 202
    start = threading.Barrier(2)
    statuses: list[int] = []

    def change(tag: str) -> None:
        start.wait()
        statuses.append(_apply(server, tag, '"1"').status)

    threads = [threading.Thread(target=change, args=(tag,)) for tag in ("2a", "2b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [202, 412]
    revisions = server.request("GET", STATUS + "/revisions").json()
    assert [r["revision"] for r in revisions] == [1, 2]
