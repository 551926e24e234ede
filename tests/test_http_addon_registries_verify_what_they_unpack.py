"""An HTTP index registry, served by a real HTTP server on 127.0.0.1: an addon enabled from it delivers
applications like one from a directory; an archive whose checksum differs from the index, or that holds
a path out of it, a link, too many files or too many bytes, is refused, naming why, and nothing is
enabled or written outside the cache."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from addon_fixtures import write_addon
from test_an_enabled_addons_definitions_deliver_applications import USER_APP
from vessel.addons import archive
from vessel.cli.main import app as cli

runner = CliRunner()


def vessel(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, list(args))


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "served"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def tar_of(folder: Path, prefix: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder, arcname=prefix)
    return buffer.getvalue()


def tar_with(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return buffer.getvalue()


def publish(root: Path, data: bytes, *, name: str = "greetings", sha256: str | None = None) -> None:
    (root / f"{name}-1.0.0.tar.gz").write_bytes(data)
    entry = {
        "version": "1.0.0",
        "url": f"{name}-1.0.0.tar.gz",
        "sha256": sha256 or hashlib.sha256(data).hexdigest(),
    }
    index = {"addons": [{"name": name, "description": "greetings", "versions": [entry]}]}
    (root / "index.yaml").write_text(yaml.safe_dump(index))


def good_archive(tmp_path: Path) -> bytes:
    folder = write_addon(tmp_path / "src", "greetings", component="greeting")
    return tar_of(folder, "greetings-1.0.0")


def enabled() -> list[str]:
    return [a["name"] for a in json.loads(vessel("addon", "status", "-o", "json").stdout)]


def refused(url: str, *words: str) -> None:
    assert vessel("addon", "registry", "add", "remote", "--url", url).exit_code == 0
    result = vessel("addon", "enable", "greetings")
    assert result.exit_code != 0
    for word in words:
        assert word in result.output, result.output
    assert enabled() == []


@pytest.mark.timeout(120)
def test_an_addon_from_an_http_index_delivers_applications(tmp_path: Path, served: tuple[Path, str]) -> None:
    root, url = served
    publish(root, good_archive(tmp_path))
    out = tmp_path / "out"
    assert (
        vessel("target", "add", "out", "--type", "directory", "--path", str(out), "--default").exit_code == 0
    )
    assert vessel("addon", "registry", "add", "remote", "--url", url).exit_code == 0
    listed = vessel("addon", "list", "-o", "json")
    offered = [(a["name"], a["versions"]) for a in json.loads(listed.stdout) if a["registry"] == "remote"]
    assert offered == [("greetings", ["1.0.0"])]
    result = vessel("addon", "enable", "greetings")
    assert result.exit_code == 0, result.output
    (tmp_path / "app.yaml").write_text(USER_APP)
    result = vessel("up", "-f", str(tmp_path / "app.yaml"))
    assert result.exit_code == 0, result.output
    written = yaml.safe_load((out / "default/configmap.core/greeting.yaml").read_text())
    assert written["data"] == {"message": "bonjour"}


def test_an_archive_whose_checksum_differs_is_refused(tmp_path: Path, served: tuple[Path, str]) -> None:
    root, url = served
    publish(root, good_archive(tmp_path), sha256="0" * 64)
    refused(url, "not the 0000", "refused")


def test_an_archive_member_outside_the_archive_is_refused(tmp_path: Path, served: tuple[Path, str]) -> None:
    root, url = served
    publish(root, tar_with([(tarfile.TarInfo("greetings/../../escaped.txt"), b"owned")]))
    refused(url, "points outside the archive")
    assert not list(tmp_path.rglob("escaped.txt"))
    assert not list(Path(os.environ["VESSEL_HOME"]).rglob("escaped.txt"))


def test_an_archive_holding_a_link_is_refused(tmp_path: Path, served: tuple[Path, str]) -> None:
    root, url = served
    link = tarfile.TarInfo("greetings/metadata.yaml")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    publish(root, tar_with([(link, b"")]))
    refused(url, "'greetings/metadata.yaml' is a link")


def test_an_archive_that_unpacks_too_large_is_refused(
    tmp_path: Path, served: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "MAX_UNPACKED_BYTES", 1024 * 1024)
    root, url = served
    publish(root, tar_with([(tarfile.TarInfo("greetings/zeros"), bytes(2 * 1024 * 1024))]))
    refused(url, "unpacks to more than 1048576 bytes")


def test_an_archive_with_too_many_files_is_refused(
    tmp_path: Path, served: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "MAX_FILES", 3)
    root, url = served
    publish(root, tar_with([(tarfile.TarInfo(f"greetings/f{i}"), b"x") for i in range(4)]))
    refused(url, "more than 3 files")


def test_an_archive_holding_another_addon_than_the_index_says_is_refused(
    tmp_path: Path, served: tuple[Path, str]
) -> None:
    root, url = served
    folder = write_addon(tmp_path / "src", "impostor", component="greeting")
    publish(root, tar_of(folder, "greetings-1.0.0"))
    refused(url, "lists greetings@1.0.0, but its archive holds impostor@1.0.0")
