"""The dashboard's guards, over plain HTTP against a real server: a token is exchanged for an HttpOnly,
SameSite=Strict session cookie (and no other site may frame a page); a change made with the cookie needs
the session's CSRF token and is confirmed first; signing out ends the session for good (and the live
streams of its pages); pages and buttons are judged by the API's permission table (a non-member is told
an application does not exist, the project switcher lists only the caller's projects); and a change made
through the dashboard is in the audit log."""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest

from project_fixtures import app_yaml, prepare, started
from server_process import ServerProcess, wait_for

API = "/api/v1/namespaces/team/applications"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    text: str


@dataclass
class Browser:
    """Just enough of a browser: it keeps the cookies the server sets and sends them back."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            body = None
            if form is not None:
                body = urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            for cookie in answer.headers.get_all("set-cookie") or []:
                name, _, rest = cookie.partition("=")
                value = rest.split(";", 1)[0].strip('"')
                if "max-age=0" in cookie.lower() or not value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            return Answer(answer.status, answer.headers, answer.read().decode())
        finally:
            conn.close()

    def sign_in(self, token: str) -> Answer:
        form = self.call("GET", "/sign-in")
        return self.call("POST", "/sign-in", {"csrf": _field(form.text, "csrf"), "token": token, "next": "/"})


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field in the page"
    return found.group(1)


@pytest.fixture
def server(isolated_home: Path) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    tokens = prepare(isolated_home)
    with started(isolated_home, tokens["admin"]) as proc:
        for name in ("one", "two"):
            assert (
                proc.request("POST", "/api/v1/applications", app_yaml(name, target="mem", gate=True)).status
                == 202
            )
            wait_for(lambda n=name: _phase(proc, n) == "workflowSuspending", f"{name} waiting for approval")
        yield proc, tokens


def _phase(server: ServerProcess, name: str) -> str:
    return str(server.request("GET", f"{API}/{name}").json()["phase"])


def test_signing_in_sets_an_httponly_samesite_strict_session_cookie(
    server: tuple[ServerProcess, dict[str, str]],
) -> None:
    proc, tokens = server
    browser = Browser(proc.port)
    assert browser.call("GET", "/").status == 303  # no session: to the sign-in page
    bad = browser.sign_in("vsl_nothing.wrong")
    assert bad.status == 401 and "not valid" in bad.text
    assert "vessel_session" not in browser.cookies
    signed = browser.sign_in(tokens["developer"])
    assert signed.status == 303
    cookie = next(c for c in signed.headers.get_all("set-cookie") or [] if c.startswith("vessel_session="))
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert browser.cookies["vessel_session"] != tokens["developer"], "a session of its own, not the token"
    overview = browser.call("GET", "/")
    assert overview.status == 200
    assert "frame-ancestors 'none'" in overview.headers["content-security-policy"]  # no click-jacking


def test_a_change_with_the_cookie_needs_the_sessions_csrf_token_and_a_confirmation(
    server: tuple[ServerProcess, dict[str, str]],
) -> None:
    proc, tokens = server
    browser = Browser(proc.port)
    browser.sign_in(tokens["developer"])
    page = browser.call("GET", "/applications/team/one")
    resume = "/applications/team/one/workflow/resume"
    assert f'action="{resume}"' in page.text
    assert browser.call("POST", resume, {}).status == 403
    assert browser.call("POST", resume, {"csrf": "0" * 64}).status == 403
    assert _phase(proc, "one") == "workflowSuspending", "a refused change changed nothing"
    other = Browser(proc.port)
    other.sign_in(tokens["developer"])
    other_csrf = _field(other.call("GET", "/").text, "csrf")
    assert browser.call("POST", resume, {"csrf": other_csrf}).status == 403, "another session's token"
    asked = browser.call("POST", resume, {"csrf": _field(page.text, "csrf")})  # not confirmed: asked
    assert asked.status == 200 and "Approve and resume the workflow of one?" in asked.text
    assert _phase(proc, "one") == "workflowSuspending", "nothing changes before it is confirmed"
    confirmed = {"csrf": _field(asked.text, "csrf"), "confirmed": _field(asked.text, "confirmed")}
    assert browser.call("POST", resume, confirmed).status == 303
    assert _phase(proc, "one") != "workflowSuspending"
    audit = proc.request("GET", "/api/v1/audit").json()
    assert any(
        e["actor"] == "dev" and e["action"] == "POST /applications/{namespace}/{name}/workflow/resume"
        for e in audit
    ), audit


def test_signing_out_ends_the_session_for_good(server: tuple[ServerProcess, dict[str, str]]) -> None:
    proc, tokens = server
    browser = Browser(proc.port)
    browser.sign_in(tokens["viewer"])
    session = browser.cookies["vessel_session"]
    page = browser.call("GET", "/")
    stream = http.client.HTTPConnection("127.0.0.1", proc.port, timeout=30)  # a page following a run
    stream.request("GET", "/applications/team/one/live", headers={"Cookie": f"vessel_session={session}"})
    live = stream.getresponse()
    assert live.status == 200 and live.readline().startswith(b"retry:")
    assert browser.call("POST", "/sign-out", {"csrf": _field(page.text, "csrf")}).status == 303
    live.read()  # returns once the server ends the stream: it saw the session end
    stream.close()
    assert "vessel_session" not in browser.cookies
    browser.cookies["vessel_session"] = session  # the old cookie, kept by someone
    refused = browser.call("GET", "/")
    assert refused.status == 303 and refused.headers["location"].startswith("/sign-in")
    assert "vessel_session" not in browser.cookies, "an ended session's cookie is cleared"
    for _ in range(15):  # an open page reconnecting without it is no bad token: sign-in still works
        assert browser.call("GET", "/applications/team/one/live").status == 401
    assert browser.sign_in(tokens["viewer"]).status == 303


def test_pages_show_only_the_callers_projects(server: tuple[ServerProcess, dict[str, str]]) -> None:
    proc, tokens = server
    outsider = Browser(proc.port)
    outsider.sign_in(tokens["non-member"])  # nora: owner of project `other` only
    listed = outsider.call("GET", "/applications")
    assert listed.status == 200
    assert "/applications/team/one" not in listed.text
    options = re.findall(
        r'<option value="([^"]+)"', listed.text.split('id="project-switch"')[1].split("</select>")[0]
    )
    assert options == ["other"]
    assert outsider.call("GET", "/applications/team/one").status == 404
    assert outsider.call("GET", "/applications/team/one/revisions").status == 404
    assert outsider.call("GET", "/applications?project=team").status == 422
    member = Browser(proc.port)
    member.sign_in(tokens["viewer"])
    assert "/applications/team/one" in member.call("GET", "/applications?project=team").text
