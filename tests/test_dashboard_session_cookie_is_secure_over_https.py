"""Served over HTTPS, the dashboard's session cookie is marked Secure: the browser never sends it over
plain HTTP."""

from __future__ import annotations

import http.client
import re
import shutil
import ssl
from pathlib import Path
from urllib.parse import urlencode

import pytest

from server_process import ServerProcess, admin_token
from test_server_serves_https_with_the_given_certificate import self_signed

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def test_the_session_cookie_is_secure_over_https(isolated_home: Path) -> None:
    cert, key = self_signed(isolated_home, "server")
    trust = ssl.create_default_context(cafile=str(cert))
    server = ServerProcess(isolated_home, admin_token(isolated_home), tls=trust)
    server.start("--tls-cert", str(cert), "--tls-key", str(key))
    conn = http.client.HTTPSConnection("127.0.0.1", server.port, timeout=10, context=trust)
    try:
        conn.request("GET", "/sign-in")
        form = conn.getresponse()
        page = form.read().decode()
        pre = form.headers["set-cookie"].split(";", 1)[0]
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        body = urlencode({"csrf": csrf.group(1), "token": server.token, "next": "/"})
        headers = {"Cookie": pre, "Content-Type": "application/x-www-form-urlencoded"}
        conn.request("POST", "/sign-in", body=body, headers=headers)
        signed = conn.getresponse()
        signed.read()
        assert signed.status == 303
        session = next(
            c for c in signed.headers.get_all("set-cookie") or [] if c.startswith("vessel_session=")
        )
        assert "secure" in [part.strip().lower() for part in session.split(";")]
    finally:
        conn.close()  # an open connection would hold the server's graceful stop
        assert server.stop() == 0
