"""Through an HTTPS server, the CLI verifies the server's certificate as any HTTPS client does: one that
nothing it trusts signed is a clear error (exit 2, saying how to trust it) and no request is made with
the token; trusted through SSL_CERT_FILE, the same command answers. Real processes, a real certificate
(`openssl`)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from server_process import ServerProcess, admin_token, client_env, run_vessel
from test_server_serves_https_with_the_given_certificate import self_signed

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def vessel_ls(
    url: str, token: str, home: Path, trusting: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = client_env(home, url, token)
    env.pop("SSL_CERT_FILE", None)
    if trusting is not None:
        env["SSL_CERT_FILE"] = str(trusting)
    return run_vessel(env, "ls")


@pytest.mark.timeout(90)
def test_an_unverified_certificate_is_refused_and_a_trusted_one_answers(
    isolated_home: Path, tmp_path: Path
) -> None:
    cert, key = self_signed(tmp_path, "server")
    server = ServerProcess(
        isolated_home, admin_token(isolated_home), tls=ssl.create_default_context(cafile=str(cert))
    )
    server.start("--tls-cert", str(cert), "--tls-key", str(key))
    try:
        refused = vessel_ls(server.url, server.token, tmp_path / "client")
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.startswith(f"error: cannot reach the Vessel server at {server.url}: ")
        assert "certificate verify failed" in refused.stderr and "SSL_CERT_FILE" in refused.stderr
        trusted = vessel_ls(server.url, server.token, tmp_path / "client", trusting=cert)
        assert trusted.returncode == 0, trusted.stderr
        assert trusted.stdout.split() == ["NAME", "PHASE", "REVISION", "UPDATED", "MESSAGE"]
    finally:
        server.kill()
