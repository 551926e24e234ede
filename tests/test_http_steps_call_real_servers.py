"""The `webhook`, `request` and `notification` steps against real servers on 127.0.0.1: an HTTP server
that records each request and answers scripted statuses, and an aiosmtpd SMTP server. Nothing of urllib
or smtplib is mocked."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from vessel.errors import NotFoundError, TransientError, VesselError
from vessel.model import Step, parse_application, read_text
from vessel.model.frozen import freeze
from vessel.workflow.step_api import Outcome, StepContext
from vessel.workflow.steps import http_steps, notification

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: shop
  namespace: prod
  labels: {team: payments}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: nginx:1.27, port: 80}
      traits:
        - type: scaler
          properties: {replicas: 2}
"""


def make_ctx(step_type: str, properties: dict[str, Any], attempt: int = 1) -> StepContext:
    app = parse_application(read_text(APP, "app.yaml")[0])
    step = Step(name=f"{step_type}-1", type=step_type, properties=freeze(properties))
    return StepContext(
        app=app,
        step=step,
        properties=properties,
        run_id=7,
        revision=1,
        attempt=attempt,
        now=1_700_000_000.0,
        values={},
        event=lambda *a, **k: None,
    )


# --- a real HTTP server --------------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    hang: bool = False  # answer only once the test is over (to provoke a timeout)


class FakeHTTP:
    """Records every request; answers with the queued replies in order, then 200 `{"ok": true}`."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.replies: deque[Reply] = deque()
        self.released = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                owner.seen.append(Seen(self.command, self.path, dict(self.headers.items()), body))
                reply = owner.replies.popleft() if owner.replies else Reply()
                if reply.hang:
                    owner.released.wait(5)
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reply(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.replies.append(Reply(status, body, headers))

    def close(self) -> None:
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib honours *_proxy variables; the servers here are on 127.0.0.1."""
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def server() -> Iterator[FakeHTTP]:
    fake = FakeHTTP()
    fake.thread.start()
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def vessel_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path))
    return tmp_path


def write_secret(home: Path, name: str, key: str, value: str) -> None:
    path = home / "secrets" / name / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value + "\n")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- webhook -------------------------------------------------------------------------------------------


def test_webhook_posts_data_with_the_idempotency_key_and_the_same_key_on_retry(server: FakeHTTP) -> None:
    props = {"url": {"value": server.url()}, "data": {"event": "deployed", "replicas": 2}}
    server.reply(503)

    with pytest.raises(TransientError) as err:
        http_steps.webhook(make_ctx("webhook", props, attempt=1))
    assert "webhook" in str(err.value) and f"127.0.0.1:{server.port}" in str(err.value)
    assert "503" in str(err.value)

    ctx = make_ctx("webhook", props, attempt=2)
    assert http_steps.webhook(ctx).kind == "succeeded"

    first, second = server.seen
    for seen in (first, second):
        assert (seen.method, seen.path) == ("POST", "/hook")
        assert seen.json() == {"event": "deployed", "replicas": 2}
        assert seen.headers["Content-Type"] == "application/json"
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == ctx.idempotency_key


def test_webhook_without_data_posts_the_application(server: FakeHTTP) -> None:
    assert http_steps.webhook(make_ctx("webhook", {"url": {"value": server.url()}})).kind == "succeeded"
    assert server.seen[0].json() == {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": "shop", "namespace": "prod", "labels": {"team": "payments"}},
        "spec": {
            "components": [
                {
                    "name": "web",
                    "type": "webservice",
                    "properties": {"image": "nginx:1.27", "port": 80},
                    "traits": [{"type": "scaler", "properties": {"replicas": 2}}],
                }
            ]
        },
    }


def test_webhook_url_from_a_secret_file_under_vessel_home(server: FakeHTTP, vessel_home: Path) -> None:
    write_secret(vessel_home, "hooks", "deploy-url", server.url("/T0/secret-token"))
    props = {"url": {"secretRef": {"name": "hooks", "key": "deploy-url"}}, "data": {"a": 1}}
    assert http_steps.webhook(make_ctx("webhook", props)).kind == "succeeded"
    assert server.seen[0].path == "/T0/secret-token"


def test_missing_secret_is_terminal_and_names_the_file_to_create(vessel_home: Path) -> None:
    props = {"url": {"secretRef": {"name": "hooks", "key": "missing"}}}
    with pytest.raises(NotFoundError) as err:
        http_steps.webhook(make_ctx("webhook", props))
    assert err.value.terminal
    assert str(vessel_home / "secrets" / "hooks" / "missing") in str(err.value)


def test_secret_ref_cannot_leave_the_secrets_directory(vessel_home: Path) -> None:
    props = {"url": {"secretRef": {"name": "..", "key": "passwd"}}}
    with pytest.raises(VesselError) as err:
        http_steps.webhook(make_ctx("webhook", props))
    assert err.value.terminal and not isinstance(err.value, TransientError)


def test_credentials_in_the_url_become_basic_auth_and_stay_out_of_messages(server: FakeHTTP) -> None:
    url = f"http://bot:s3cr3t@127.0.0.1:{server.port}/T0/token-in-path"
    server.reply(502)
    with pytest.raises(TransientError) as err:
        http_steps.webhook(make_ctx("webhook", {"url": {"value": url}, "data": {}}))
    assert server.seen[0].headers["Authorization"] == "Basic " + base64.b64encode(b"bot:s3cr3t").decode()
    for secret in ("s3cr3t", "bot", "token-in-path"):
        assert secret not in str(err.value)


def test_only_http_urls_are_accepted() -> None:
    with pytest.raises(VesselError, match="http:// or https://") as err:
        http_steps.webhook(make_ctx("webhook", {"url": {"value": "file:///etc/passwd"}}))
    assert err.value.terminal


# --- request -------------------------------------------------------------------------------------------


def test_request_puts_parsed_body_status_and_headers_in_outputs(server: FakeHTTP) -> None:
    server.reply(201, b'{"id": 42, "tags": ["a"]}', **{"Content-Type": "application/json", "X-Trace": "t1"})
    props = {
        "url": server.url("/api/items?x=1"),
        "method": "POST",
        "body": {"name": "item"},
        "header": {"Authorization": "Bearer abc"},
    }
    ctx = make_ctx("request", props)
    outcome = http_steps.request(ctx)

    assert outcome.kind == "succeeded"
    response = outcome.outputs["response"]
    assert response["body"] == {"id": 42, "tags": ["a"]}
    assert response["statusCode"] == 201
    assert response["header"]["X-Trace"] == ["t1"]
    seen = server.seen[0]
    assert (seen.method, seen.path, seen.json()) == ("POST", "/api/items?x=1", {"name": "item"})
    assert seen.headers["Authorization"] == "Bearer abc"
    assert seen.headers["Idempotency-Key"] == ctx.idempotency_key


def test_request_keeps_a_body_that_is_not_json_as_text(server: FakeHTTP) -> None:
    server.reply(200, b"plain words", **{"Content-Type": "text/plain; charset=utf-8"})
    outcome = http_steps.request(make_ctx("request", {"url": server.url(), "method": "GET"}))
    assert outcome.outputs["response"]["body"] == "plain words"
    assert server.seen[0].method == "GET"


@pytest.mark.parametrize("status", [500, 503, 429])
def test_request_5xx_and_429_are_transient(server: FakeHTTP, status: int) -> None:
    server.reply(status)
    with pytest.raises(TransientError, match=f"request: GET 127.0.0.1:{server.port} answered {status}"):
        http_steps.request(make_ctx("request", {"url": server.url(), "method": "GET"}))


@pytest.mark.parametrize("step", ["webhook", "request"])
def test_connection_refused_is_transient(step: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}/hook"
    props: dict[str, Any] = {"url": url, "method": "GET"} if step == "request" else {"url": {"value": url}}
    with pytest.raises(TransientError, match=f"{step}: .* 127.0.0.1:.* connection refused"):
        http_steps.STEPS[step](make_ctx(step, props))


def test_timeout_is_transient(server: FakeHTTP, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_steps, "TIMEOUT_SECONDS", 0.2)
    server.replies.append(Reply(hang=True))
    with pytest.raises(TransientError, match="timed out"):
        http_steps.request(make_ctx("request", {"url": server.url(), "method": "GET"}))


@pytest.mark.parametrize("status", [400, 404])
def test_other_4xx_fail_with_status_and_body_excerpt(server: FakeHTTP, status: int) -> None:
    server.reply(status, b'{"error": "field name is required"}')
    outcome = http_steps.request(make_ctx("request", {"url": server.url(), "method": "PUT", "body": {}}))
    assert outcome.kind == "failed"
    assert f"answered {status}" in outcome.message and "field name is required" in outcome.message


# --- notification over HTTP ----------------------------------------------------------------------------

DINGDING = {"msgtype": "text", "text": {"content": "Hello KubeVela"}, "at": {"isAtAll": True}}
LARK = {"msg_type": "text", "content": '{"text":" Hello KubeVela"}'}
SLACK = {
    "text": "Hello KubeVela",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*deployed*"}}],
    "thread_ts": "1700000000.000100",
}


def test_notification_posts_kubevela_shaped_payloads(server: FakeHTTP, vessel_home: Path) -> None:
    write_secret(vessel_home, "chat", "slack", server.url("/slack"))
    props = {
        "dingding": {"url": {"value": server.url("/ding")}, "message": DINGDING},
        "lark": {"url": {"value": server.url("/lark")}, "message": LARK},
        "slack": {"url": {"secretRef": {"name": "chat", "key": "slack"}}, "message": SLACK},
    }
    ctx = make_ctx("notification", props)
    outcome = notification.notification(ctx)

    assert outcome.kind == "succeeded", outcome.message
    # KubeVela posts `json.Marshal(parameter.<channel>.message)`: each message exactly as given.
    assert {seen.path: seen.json() for seen in server.seen} == {
        "/ding": DINGDING,
        "/lark": LARK,
        "/slack": SLACK,
    }
    assert all(seen.method == "POST" for seen in server.seen)
    assert {seen.headers["Idempotency-Key"] for seen in server.seen} == {ctx.idempotency_key}


def test_notification_tries_every_channel_then_retries_or_fails(server: FakeHTTP) -> None:
    props = {
        "lark": {"url": {"value": server.url("/lark")}, "message": LARK},
        "slack": {"url": {"value": server.url("/slack")}, "message": SLACK},
    }
    server.reply(503)  # lark
    with pytest.raises(TransientError, match=r"notification\.lark: .* answered 503 \(sent: slack\)"):
        notification.notification(make_ctx("notification", props))

    server.reply(403, b"invalid token")  # lark
    server.reply(503)  # slack
    outcome = notification.notification(make_ctx("notification", props, attempt=2))
    assert outcome.kind == "failed"
    assert "notification.lark" in outcome.message and "403" in outcome.message
    assert "invalid token" in outcome.message and "notification.slack" in outcome.message
    assert [seen.path for seen in server.seen] == ["/lark", "/slack"] * 2


def test_notification_with_a_missing_secret_sends_nothing(server: FakeHTTP, vessel_home: Path) -> None:
    props = {
        "lark": {"url": {"value": server.url("/lark")}, "message": LARK},
        "slack": {"url": {"secretRef": {"name": "chat", "key": "nope"}}, "message": SLACK},
    }
    with pytest.raises(NotFoundError, match="secrets/chat/nope"):
        notification.notification(make_ctx("notification", props))
    assert server.seen == []


# --- notification by email, to a real SMTP server ------------------------------------------------------


@dataclass
class Mailbox:
    """An aiosmtpd handler: keeps what it receives, refuses recipients listed in `reject`."""

    received: list[Envelope] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)
    reject: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.reject:
            return self.reject[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 Message accepted"

    def authenticate(
        self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"app-password")


class PortZeroController(Controller):
    """aiosmtpd's Controller, listening on a port the OS picks."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp() -> Iterator[Callable[..., tuple[Mailbox, int]]]:
    started: list[Controller] = []

    def start(mailbox: Mailbox | None = None, **options: Any) -> tuple[Mailbox, int]:
        box = mailbox or Mailbox()
        controller = PortZeroController(box, hostname="127.0.0.1", port=0, **options)
        controller.start()
        started.append(controller)
        return box, controller.port

    try:
        yield start
    finally:
        for controller in started:
            controller.stop()


def email_props(port: int, **sender: Any) -> dict[str, Any]:
    return {
        "email": {
            "from": {
                "address": "vela@example.com",
                "alias": "Vela Bot",
                "password": {"value": "app-password"},
                "host": "127.0.0.1",
                "port": port,
                **sender,
            },
            "to": ["ops@example.com", "dev@example.com"],
            "content": {"subject": "shop deployed", "body": "<b>revision 3</b> is live"},
        }
    }


def test_email_arrives_with_subject_body_and_recipients(smtp: Callable[..., tuple[Mailbox, int]]) -> None:
    box, port = smtp()  # offers neither STARTTLS nor AUTH: the mail goes out without login
    ctx = make_ctx("notification", email_props(port))
    outcome = notification.notification(ctx)

    assert outcome.kind == "succeeded", outcome.message
    (envelope,) = box.received
    assert envelope.mail_from == "vela@example.com"
    assert envelope.rcpt_tos == ["ops@example.com", "dev@example.com"]
    assert isinstance(envelope.content, bytes)
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert mail["Subject"] == "shop deployed"
    assert mail["From"] == "Vela Bot <vela@example.com>"
    assert mail["To"] == "ops@example.com, dev@example.com"
    assert mail.get_content_type() == "text/html"
    assert mail.get_content().strip() == "<b>revision 3</b> is live"
    assert "vessel-prod-shop-run7-notification-1" in mail["Message-ID"]
    assert box.logins == []


def test_email_logs_in_with_a_password_from_a_secret(
    smtp: Callable[..., tuple[Mailbox, int]], vessel_home: Path
) -> None:
    mailbox = Mailbox()
    box, port = smtp(mailbox, authenticator=mailbox.authenticate, auth_require_tls=False)
    write_secret(vessel_home, "smtp", "password", "app-password")
    props = email_props(port, password={"secretRef": {"name": "smtp", "key": "password"}})

    assert notification.notification(make_ctx("notification", props)).kind == "succeeded"
    assert box.logins == [(b"vela@example.com", b"app-password")]
    assert len(box.received) == 1


def test_email_uses_starttls_when_the_server_offers_it(
    smtp: Callable[..., tuple[Mailbox, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts this certificate only
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    mailbox = Mailbox()
    # AUTH is offered only after STARTTLS, and mail is refused without it.
    box, port = smtp(
        mailbox, tls_context=server_tls, require_starttls=True, authenticator=mailbox.authenticate
    )

    outcome = notification.notification(make_ctx("notification", email_props(port)))
    assert outcome.kind == "succeeded", outcome.message
    assert box.logins == [(b"vela@example.com", b"app-password")]
    assert len(box.received) == 1


def test_email_refused_recipient_fails_and_refused_connection_retries(
    smtp: Callable[..., tuple[Mailbox, int]],
) -> None:
    _, port = smtp(Mailbox(reject={"dev@example.com": "550 5.1.1 no such user"}))
    outcome: Outcome = notification.notification(make_ctx("notification", email_props(port)))
    assert outcome.kind == "failed"
    assert "dev@example.com (550" in outcome.message and "no such user" in outcome.message

    with pytest.raises(TransientError, match="notification.email: SMTP 127.0.0.1:.* connection refused"):
        notification.notification(make_ctx("notification", email_props(closed_port())))
