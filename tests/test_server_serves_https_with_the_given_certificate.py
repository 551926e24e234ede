"""`vessel server --tls-cert FILE --tls-key FILE` serves HTTPS with that certificate and nothing in
plain HTTP; one option without the other, or a pair that cannot be loaded, is one clear error before
anything starts."""

from __future__ import annotations

import http.client
import os
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from server_process import ServerProcess

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made by `openssl`."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


def vessel_server(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VESSEL_HOME": str(home)}
    env.pop("VESSEL_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "vessel", "server", "--listen", "127.0.0.1:1", *args],
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip


def test_healthz_answers_over_https_trusting_the_certificate_and_not_over_plain_http(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path, "server")
    server = ServerProcess(tmp_path, tls=ssl.create_default_context(cafile=str(cert)))
    server.start("--tls-cert", str(cert), "--tls-key", str(key))
    try:
        answer = server.request("GET", "/healthz", token=None)
        assert answer.status == 200
        plain = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            plain.request("GET", "/healthz")
            status = plain.getresponse().status
        except (OSError, http.client.HTTPException):
            status = None  # the TLS listener drops a plain-HTTP request
        finally:
            plain.close()
        assert status != 200, "a plain-HTTP request was served"
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize(("given", "missing"), [("--tls-cert", "--tls-key"), ("--tls-key", "--tls-cert")])
def test_one_tls_option_without_the_other_is_refused_naming_the_missing_one(
    tmp_path: Path, given: str, missing: str
) -> None:
    done = vessel_server(tmp_path, given, str(tmp_path / "file.pem"))
    assert done.returncode == 2, done.stderr
    assert f"needs {missing}" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "vessel.db").exists(), "the store was opened before the options were checked"


def test_a_key_that_is_not_the_certificates_is_one_clear_error(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path, "one")
    _, other_key = self_signed(tmp_path, "two")
    done = vessel_server(tmp_path, "--tls-cert", str(cert), "--tls-key", str(other_key))
    assert done.returncode != 0
    assert "--tls-cert" in done.stderr and "cannot be loaded" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "vessel.db").exists()


def test_an_unreadable_certificate_is_one_clear_error(tmp_path: Path) -> None:
    _, key = self_signed(tmp_path, "one")
    done = vessel_server(tmp_path, "--tls-cert", str(tmp_path / "absent.crt"), "--tls-key", str(key))
    assert done.returncode != 0
    assert "absent.crt" in done.stderr and "cannot be loaded" in done.stderr
    assert "Traceback" not in done.stderr
