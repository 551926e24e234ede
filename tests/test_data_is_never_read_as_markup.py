"""Text that comes from data — a step message, the body of an endpoint's answer, an event, a name in an
error — is printed as it is: never read as Rich markup (`[/x]` used to end `vessel up` in a traceback
and stop `vessel run`), never turned into a link or an emoji."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli

HOSTILE = "[/x] [bold]loud [link=https://evil.example]click[/link] :thumbs_up:"

runner = CliRunner()


def vessel(*args: str) -> Any:
    return runner.invoke(cli, list(args))


class _Answers400(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = HOSTILE.encode()
        self.send_response(400)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers400)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


def _app(name: str, url: str) -> str:
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: {name}}}
spec:
  components:
    - {{name: api, type: webservice, properties: {{image: "shop/api:1"}}}}
  workflow:
    steps:
      - name: say
        type: print-message-in-status
        properties: {{message: "{HOSTILE}"}}
      - {{name: call, type: request, properties: {{url: "{url}"}}}}
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    added = vessel(
        "target", "add", "out", "--type", "directory", "--path", str(tmp_path / "out"), "--default"
    )
    assert added.exit_code == 0, added.output
    return tmp_path


def _printed_literally(result: Any, code: int = 0, words: int = 5) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == code, result.output
    # Tables wrap between words, and cut a long message short (`ls`): its first `words` are checked.
    assert all(word in result.output for word in HOSTILE.split()[:words]), result.output


def test_step_messages_and_answer_bodies_print_literally_through_up_status_events_and_ls(
    home: Path, endpoint: str
) -> None:
    (home / "app.yaml").write_text(_app("shop", endpoint))
    _printed_literally(vessel("up", "-f", str(home / "app.yaml")), code=1)
    _printed_literally(vessel("status", "shop"))
    _printed_literally(vessel("events", "shop"))
    _printed_literally(vessel("ls"), words=2)


def test_vessel_run_prints_a_markup_like_message_and_keeps_going(home: Path, endpoint: str) -> None:
    (home / "app.yaml").write_text(_app("shop", endpoint))
    assert vessel("up", "-f", str(home / "app.yaml"), "--no-wait").exit_code == 0
    _printed_literally(vessel("run", "--once"))


def test_a_name_in_an_error_prints_literally() -> None:
    result = vessel("status", "[/x][bold]nope")
    assert result.exit_code == 1
    assert "[/x][bold]nope" in result.output


def test_the_cli_consoles_read_no_markup_and_no_emoji_codes() -> None:
    """The structural rule: strings printed by the CLI are never parsed; styles come from Text objects
    (`cli.report.styled`), so no later print can bring the bug back."""
    from vessel.cli import report

    for console in (report.out, report.err):
        assert console._markup is False
        assert console._emoji is False
    sources = Path(report.__file__).parent.glob("*.py")
    assert not [p.name for p in sources if "markup=True" in p.read_text()]
