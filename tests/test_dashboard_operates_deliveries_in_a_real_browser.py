"""The dashboard in a real browser (Chromium, driven by Playwright) against a real `vessel server`: a user
signs in and sees the applications list; opens an application suspended at an approval, approves it and
watches the graph turn the next steps green without the page reloading; rolls back from the revisions
page to a revision other than the one before and sees the run of that revision; a viewer sees no approve
button, and a resume forged from the viewer's own session (with its CSRF token) is refused and changes
nothing.

One server and one browser serve the whole module; each test acts on applications of its own. Screenshots
of the main pages are saved into the test's temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from dashboard_browser import screenshot, signed_in
from project_fixtures import app_yaml, prepare, started
from server_process import ServerProcess, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.timeout(120)
API = "/api/v1/namespaces/team/applications"
GATED = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: gated, namespace: team}
spec:
  components:
    - {name: api, type: webservice, properties: {image: 'api:1', ports: [{port: 8080, expose: true}]}}
    - {name: web, type: webservice, properties: {image: 'web:1'}}
  workflow:
    steps:
      - {name: approve, type: suspend}
      - name: deliver
        type: step-group
        subSteps:
          - {name: api, type: apply-component, properties: {component: api, cluster: mem}}
          - {name: web, type: apply-component, properties: {component: web, cluster: mem}}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    home = tmp_path_factory.mktemp("dashboard-home")
    tokens = prepare(home)
    with started(home, tokens["admin"]) as proc:
        assert proc.request("POST", "/api/v1/applications", GATED).status == 202
        gated_for_viewer = app_yaml("gated-for-viewer", target="mem", gate=True)
        assert proc.request("POST", "/api/v1/applications", gated_for_viewer).status == 202
        for name in ("gated", "gated-for-viewer"):
            wait_for(lambda n=name: _status(proc, n)["phase"] == "workflowSuspending", f"{name} suspended")
        for image in ("nginx:1", "nginx:2", "nginx:3"):
            _deliver(proc, app_yaml("rolled", target="mem").replace("nginx:1", image))
        yield proc, tokens


def _status(server: ServerProcess, name: str) -> dict[str, Any]:
    answer = server.request("GET", f"{API}/{name}")
    assert answer.status == 200, answer.body
    status: dict[str, Any] = answer.json()
    return status


def _deliver(server: ServerProcess, yaml: str) -> None:
    applied = server.request("POST", "/api/v1/applications", yaml)
    assert applied.status == 202, applied.body
    revision = applied.json()["applications"][0]["revision"]
    wait_for(
        lambda: (s := _status(server, "rolled"))["phase"] == "running" and s["revision"] == revision,
        f"rolled running at revision {revision}",
    )


def test_a_signed_in_user_sees_the_applications_list(
    server: tuple[ServerProcess, dict[str, str]], chromium: Browser, tmp_path: Path
) -> None:
    proc, tokens = server
    page = signed_in(chromium, proc.url, tokens["admin"])
    screenshot(page, tmp_path, "overview")
    page.keyboard.press("Tab")  # the first stop: past the header, to the page's content
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_role("link", name="Applications", exact=True).click()
    rows = page.locator("table.apps tbody tr")
    names = rows.locator("td:nth-child(2)").all_inner_texts()
    assert names == ["gated", "gated-for-viewer", "rolled"]
    assert "workflowSuspending" in rows.nth(0).inner_text()
    screenshot(page, tmp_path, "applications")
    page.get_by_role("searchbox", name="Search").fill("roll")
    page.get_by_role("button", name="Apply filters").click()
    assert rows.locator("td:nth-child(2)").all_inner_texts() == ["rolled"]


def test_approving_turns_the_next_steps_green_without_reloading(
    server: tuple[ServerProcess, dict[str, str]], chromium: Browser, tmp_path: Path
) -> None:
    proc, tokens = server
    page = signed_in(chromium, proc.url, tokens["developer"])
    page.goto("/applications/team/gated")
    graph = page.locator("svg.graph")
    assert graph.locator('[data-step="approve"]').get_attribute("data-phase") == "suspending"
    after = ("deliver", "api", "web")
    assert [graph.locator(f'[data-step="{s}"]').get_attribute("data-phase") for s in after] == ["pending"] * 3
    screenshot(page, tmp_path, "application-suspended")
    page.evaluate("window.notReloaded = true")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Approve / resume").focus()
    page.keyboard.press("Enter")  # by keyboard
    for step in ("approve", *after):
        page.locator(f'svg.graph [data-step="{step}"][data-phase="succeeded"]').wait_for()
    assert page.evaluate("window.notReloaded === true"), "the page reloaded"
    page.locator('[data-testid="app-phase"]', has_text="running").wait_for()
    page.locator("#components h3", has_text="web").wait_for()  # what the run delivered, shown live too
    screenshot(page, tmp_path, "application")
    assert _status(proc, "gated")["phase"] == "running"


def test_rolling_back_from_the_revisions_page_runs_that_revision(
    server: tuple[ServerProcess, dict[str, str]], chromium: Browser, tmp_path: Path
) -> None:
    proc, tokens = server
    page = signed_in(chromium, proc.url, tokens["owner"])
    page.goto("/applications/team/rolled/revisions")
    diff = page.locator("table.diff")
    assert "nginx:2" in diff.locator("tr.replace td.l").inner_text()  # the one before against the current
    assert "nginx:3" in diff.locator("tr.replace td.r").inner_text()
    screenshot(page, tmp_path, "revisions")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('tr[data-revision="1"]').get_by_role("button", name="Roll back to this").click()
    page.wait_for_url(f"{proc.url}/applications/team/rolled")
    page.locator("#workflow-title", has_text="of revision 1").wait_for()
    page.locator('svg.graph [data-step="go"][data-phase="succeeded"]').wait_for()  # the run, to its end
    assert page.locator("table.runs tbody td:nth-child(2)").all_inner_texts() == ["1", "3", "2", "1"]
    status = _status(proc, "rolled")
    assert (status["revision"], status["workflow"]["revision"], status["workflow"]["phase"]) == (
        1,
        1,
        "succeeded",
    )


def test_a_viewer_sees_no_approve_button_and_a_forged_resume_is_refused(
    server: tuple[ServerProcess, dict[str, str]], chromium: Browser
) -> None:
    proc, tokens = server
    page = signed_in(chromium, proc.url, tokens["viewer"])
    page.goto("/applications/team/gated-for-viewer")
    assert page.locator('[data-testid="app-phase"]').inner_text() == "workflowSuspending"
    assert page.get_by_role("button", name="Approve / resume").count() == 0
    assert page.locator('form[action$="/workflow/resume"]').count() == 0
    csrf = page.locator('form[action="/sign-out"] input[name="csrf"]').get_attribute("value")
    assert csrf, "the viewer's page carries its session's CSRF token"
    forged = page.evaluate(
        """(csrf) => fetch('/applications/team/gated-for-viewer/workflow/resume', {
               method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'},
               body: 'csrf=' + encodeURIComponent(csrf)}).then(r => r.status)""",
        csrf,
    )
    assert forged == 403
    assert _status(proc, "gated-for-viewer")["phase"] == "workflowSuspending"


def test_pages_read_without_javascript(
    server: tuple[ServerProcess, dict[str, str]], chromium: Browser
) -> None:
    proc, tokens = server
    wait_for(lambda: _status(proc, "rolled")["workflow"]["phase"] == "succeeded", "rolled's run finished")
    context = chromium.new_context(java_script_enabled=False, base_url=proc.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/applications")
    page.get_by_label("Token").fill(tokens["viewer"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{proc.url}/applications")  # back where the person was going
    page.get_by_role("link", name="rolled").click()
    assert page.locator('svg.graph [data-step="go"]').get_attribute("data-phase") == "succeeded"
    assert "go" in page.locator("#steps-table").inner_text()
    page.get_by_role("link", name="revisions").click()
    assert page.locator("table.diff tr").count() > 5
    context.close()
