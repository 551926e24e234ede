"""Writing applications in the dashboard, in a real browser (Chromium, driven by Playwright) against a real
`vessel server`: the YAML editor marks a wrong field at its line as you type (and clears the mark once it
is fixed); the form generated from `webservice`'s schema makes YAML that applies — the application is
delivered and listed; the definitions catalog shows a definition's parameters and what it renders; a
non-admin neither sees nor opens the audit log, which an admin reads.

One server and one browser serve the whole module; each test acts on applications of its own.
Screenshots of the editor, the form and the catalog are saved into the test's temporary folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from dashboard_browser import screenshot, signed_in
from project_fixtures import app_yaml, prepare, started
from server_process import ServerProcess, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.timeout(120)
API = "/api/v1/namespaces/team/applications"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    home = tmp_path_factory.mktemp("dashboard-home")
    tokens = prepare(home)
    with started(home, tokens["admin"]) as proc:
        for name, namespace in (("listed", "team"), ("elsewhere", "other")):
            applied = proc.request("POST", "/api/v1/applications", app_yaml(name, namespace, target="mem"))
            assert applied.status == 202, applied.body
        yield proc, tokens


def _status(server: ServerProcess, name: str) -> dict[str, Any] | None:
    answer = server.request("GET", f"{API}/{name}")
    if answer.status == 404:
        return None
    assert answer.status == 200, answer.body
    status: dict[str, Any] = answer.json()
    return status


def test_the_yaml_editor_marks_a_wrong_field_at_its_line(
    server: tuple[ServerProcess, dict[str, str]], chromium: Browser, tmp_path: Path
) -> None:
    proc, tokens = server
    page = signed_in(chromium, proc.url, tokens["developer"])
    page.goto("/applications/new")
    wrong = app_yaml("typo").replace("image: 'nginx:1'}", "image: 'nginx:1', replicaz: 2}")
    assert wrong.splitlines()[5].lstrip().startswith("- {name: typo"), "the wrong field is on line 6"
    page.locator("#yaml").fill(wrong)
    page.locator('.gutter [data-line="6"].bad').wait_for()
    assert page.locator(".gutter .bad").all_inner_texts() == ["6"], "only the wrong line is marked"
    problem = page.locator('#problems li[data-line="6"]')
    assert "spec.components[0].properties.replicaz" in problem.inner_text()
    screenshot(page, tmp_path, "editor")
    page.locator("#yaml").fill(app_yaml("typo"))
    page.locator("#check", has_text="Valid").wait_for()
    assert page.locator(".gutter .bad").count() == 0
    assert _status(proc, "typo") is None, "checking applied nothing"


def test_the_webservice_form_makes_yaml_that_applies(
    server: tuple[ServerProcess, dict[str, str]], chromium: Browser, tmp_path: Path
) -> None:
    proc, tokens = server
    page = signed_in(chromium, proc.url, tokens["developer"])
    page.goto("/applications/form?type=webservice")
    page.locator("#f-app-name").fill("formed")
    page.locator("#f-app-namespace").fill("team")
    page.get_by_label("image *").fill("nginx:1.27")
    page.get_by_label("exposeType").select_option("NodePort")
    page.get_by_label("cmd").fill("serve\n--quiet")
    page.locator('[name="p.ports.0.port"]').fill("8080")
    page.locator('[name="p.ports.0.expose"]').check()
    page.get_by_role("button", name="Add an item to ports").click()  # the form again, with a second row
    page.locator('[name="p.ports.1.port"]').fill("9090")
    assert page.locator('[name="p.ports.0.port"]').input_value() == "8080", "answers are kept"
    screenshot(page, tmp_path, "form")
    page.get_by_role("button", name="Make the YAML").click()
    text = page.locator("#yaml").input_value()
    assert "name: formed" in text and "image: nginx:1.27" in text and "exposeType: NodePort" in text
    ports = yaml.safe_load(text)["spec"]["components"][0]["properties"]["ports"]
    assert ports == [{"port": 8080, "expose": True}, {"port": 9090}]
    page.locator("#check", has_text="Valid").wait_for()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(f"{proc.url}/applications/team/formed")
    page.goto("/applications?q=formed")
    assert page.locator("table.apps tbody td:nth-child(2)").all_inner_texts() == ["formed"]
    status = wait_for(
        lambda: (s := _status(proc, "formed")) and s["phase"] == "running" and s, "formed running"
    )
    assert status["revision"] == 1


def test_an_edit_applies_a_new_revision_and_a_stale_one_is_refused(
    server: tuple[ServerProcess, dict[str, str]], chromium: Browser
) -> None:
    proc, tokens = server
    wait_for(lambda: (s := _status(proc, "listed")) and s["phase"] == "running", "listed running")
    page = signed_in(chromium, proc.url, tokens["owner"])
    page.goto("/applications/team/listed")
    page.get_by_role("link", name="Edit YAML").click()
    editor = page.locator("#yaml")
    assert "image: nginx:1" in editor.input_value()
    editor.fill(editor.input_value().replace("image: nginx:1", "image: nginx:2"))
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(f"{proc.url}/applications/team/listed")
    assert _revision(proc, "listed") == 2
    page.goto("/applications/team/listed/edit")  # based on revision 2 …
    changed = app_yaml("listed", target="mem").replace("nginx:1", "nginx:3")
    assert proc.request("POST", "/api/v1/applications", changed).status == 202  # … someone makes 3
    editor.fill(editor.input_value().replace("image: nginx:2", "image: nginx:4"))
    page.get_by_role("button", name="Apply").click()
    page.locator("#check.error").wait_for()
    assert "revision" in page.locator("#problems").inner_text()
    assert _revision(proc, "listed") == 3, "the stale edit changed nothing"


def _revision(server: ServerProcess, name: str) -> int:
    revisions = server.request("GET", f"{API}/{name}/revisions")
    assert revisions.status == 200, revisions.body
    return int(max(r["revision"] for r in revisions.json()))


def test_the_catalog_shows_parameters_and_a_render_preview(
    server: tuple[ServerProcess, dict[str, str]], chromium: Browser, tmp_path: Path
) -> None:
    proc, tokens = server
    page = signed_in(chromium, proc.url, tokens["viewer"])
    page.get_by_role("link", name="Definitions", exact=True).click()
    page.wait_for_url(f"{proc.url}/definitions")
    screenshot(page, tmp_path, "catalog")
    page.locator('tr[data-definition="webservice"]').get_by_role("link", name="webservice").click()
    image = page.locator('tr[data-parameter="image"]')
    assert "yes" in image.inner_text(), "image is required"
    exposed = page.locator('tr[data-parameter="exposeType"]').inner_text()
    assert "ClusterIP" in exposed, "the default is shown"
    assert "kind: Deployment" in page.locator('[data-testid="rendered"]').first.inner_text()
    screenshot(page, tmp_path, "definition")


def test_targets_show_reachability_labels_and_only_the_callers_applications(
    server: tuple[ServerProcess, dict[str, str]], chromium: Browser
) -> None:
    proc, tokens = server
    for namespace, name in (("team", "listed"), ("other", "elsewhere")):
        where = f"/api/v1/namespaces/{namespace}/applications/{name}"
        wait_for(lambda w=where: proc.request("GET", w).json().get("phase") == "running", f"{name} running")
    page = signed_in(chromium, proc.url, tokens["viewer"])
    page.get_by_role("link", name="Targets", exact=True).click()
    mem = page.locator('tr[data-target="mem"]')
    assert "memory" in mem.inner_text() and "default" in mem.inner_text()
    assert mem.locator("td:nth-child(3)").inner_text().startswith("yes"), "the memory target answers"
    apps = mem.locator('[data-testid="target-apps"] a').all_inner_texts()
    assert "team/listed" in apps
    assert "other/elsewhere" not in apps, "another project's application is not shown"
    admin = signed_in(chromium, proc.url, tokens["admin"])
    admin.goto("/targets")
    assert "other/elsewhere" in admin.locator('tr[data-target="mem"]').inner_text()


def test_only_an_admin_sees_the_audit_log(
    server: tuple[ServerProcess, dict[str, str]], chromium: Browser
) -> None:
    proc, tokens = server
    owner = signed_in(chromium, proc.url, tokens["owner"])
    assert owner.get_by_role("link", name="Audit", exact=True).count() == 0
    refused = owner.goto("/audit")
    assert refused is not None and refused.status == 403
    assert owner.locator("table.audit").count() == 0
    admin = signed_in(chromium, proc.url, tokens["admin"])
    admin.get_by_role("link", name="Audit", exact=True).click()
    admin.wait_for_url(f"{proc.url}/audit")
    actions = admin.locator("table.audit tbody td:nth-child(3)").all_inner_texts()
    assert "POST /api/v1/applications" in actions
