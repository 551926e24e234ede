"""The dashboard's addons pages against a real `vessel server` with a local addon registry: an admin, in a
real browser (Chromium, driven by Playwright), opens Addons from the navigation, fills an addon's
parameter in the form generated from its schema, enables it (confirmed) and sees it enabled, its
dependency first — as the API's enable does it. Over plain HTTP: a viewer reads the page (its README as
text, never markup) but gets no Enable button, and a forged enable with their session's CSRF token is
refused (403) with nothing enabled; an admin's disable of an addon an application uses is refused on the
addon's page naming that application, and the addon stays enabled; an admin's upgrade is asked first,
then made."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from addon_fixtures import APPLICATION, write_addon
from dashboard_browser import browser, screenshot, signed_in
from project_fixtures import prepare
from server_process import ServerProcess, wait_for
from test_dashboard_sessions_and_permissions_guard_every_change import Browser, _field
from vessel.addons.registries import add_registry
from vessel.store.store import Store

if TYPE_CHECKING:
    from playwright.sync_api import Dialog

pytestmark = pytest.mark.timeout(120)
PARAMS = {"type": "object", "properties": {"banner": {"type": "string", "default": "hi"}}}
README = "# Cards\n\nMakes a <b>card</b>. <script>alert('no')</script>\n"
USES_CARD = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: uses-card, namespace: team}
spec:
  components:
    - {name: c, type: card, properties: {message: hey}}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    home = tmp_path_factory.mktemp("addons-dashboard")
    tokens = prepare(home)
    registry = home / "registry"
    write_addon(registry, "greetings", component="greeting")
    application = APPLICATION.format(component="greeting")
    deps = (("greetings", "^1.0"),)
    write_addon(registry, "banner", dependencies=deps, parameters=PARAMS, application=application)
    write_addon(registry, "cards", component="card", readme=README)
    for version in ("1.0.0", "1.1.0"):
        write_addon(registry, "tiles", version, component="tile", per_version=True)
    store = Store.open(f"sqlite:///{home / 'vessel.db'}")
    try:
        add_registry(store, "team", path=registry, now=time.time())
    finally:
        store.close()
    proc = ServerProcess(home, tokens["admin"]).start("--interval", "0.2")
    try:
        yield proc, tokens
    finally:
        proc.kill()


def _enabled(server: ServerProcess) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in server.request("GET", "/api/v1/addon-status").json()}


def test_an_admin_enables_an_addon_with_its_parameters_in_a_real_browser(
    server: tuple[ServerProcess, dict[str, str]], tmp_path: Path
) -> None:
    proc, tokens = server
    with browser() as chromium:
        page = signed_in(chromium, proc.url, tokens["admin"])
        page.get_by_role("link", name="Addons", exact=True).click()
        page.wait_for_url(f"{proc.url}/addons")
        assert page.locator('tr[data-addon="banner"] [data-testid="enabled"]').inner_text() == "no"
        page.locator('tr[data-addon="banner"]').get_by_role("link", name="banner").click()
        page.get_by_role("textbox", name="banner").fill("howdy")  # made from its schema
        asked: list[str] = []

        def accept(dialog: Dialog) -> None:
            asked.append(dialog.message)
            dialog.accept()

        page.on("dialog", accept)
        page.get_by_role("button", name="Enable").click()
        page.locator('[data-testid="addon-state"]', has_text="Enabled: version 1.0.0").wait_for()
        assert asked == ["Enable addon banner?"], "it asked first"
        screenshot(page, tmp_path, "addon")
    enabled = _enabled(proc)
    assert enabled["banner"]["parameters"] == {"banner": "howdy"}
    assert "greetings" in enabled, "its dependency was enabled with it"
    wait_for(lambda: _enabled(proc)["banner"]["phase"] == "running", "the addon's Application delivered")


def test_a_viewer_sees_no_enable_button_and_a_forged_enable_is_refused(
    server: tuple[ServerProcess, dict[str, str]],
) -> None:
    proc, tokens = server
    viewer = Browser(proc.port)
    viewer.sign_in(tokens["viewer"])
    shown = viewer.call("GET", "/addons/cards")
    assert shown.status == 200
    assert "&lt;script&gt;alert" in shown.text and "<script>alert" not in shown.text, "the README as text"
    assert "/addons/cards/enable" not in shown.text, "no Enable form for a viewer"
    forged = {"csrf": _field(shown.text, "csrf"), "confirmed": "yes"}
    assert viewer.call("POST", "/addons/cards/enable", forged).status == 403
    assert "cards" not in _enabled(proc), "nothing was enabled"


def test_disabling_an_addon_in_use_is_refused_naming_the_application(
    server: tuple[ServerProcess, dict[str, str]],
) -> None:
    proc, tokens = server
    enabled = proc.request("POST", "/api/v1/addons/cards/enable", "{}", content_type="application/json")
    assert enabled.status == 202, enabled.body
    assert proc.request("POST", "/api/v1/applications", USES_CARD).status == 202
    admin = Browser(proc.port)
    admin.sign_in(tokens["admin"])
    shown = admin.call("GET", "/addons/cards")
    assert "/addons/cards/disable" in shown.text
    refused = admin.call(
        "POST", "/addons/cards/disable", {"csrf": _field(shown.text, "csrf"), "confirmed": "yes"}
    )
    assert refused.status == 409
    assert 'id="addon-problem"' in refused.text and "team/uses-card" in refused.text
    assert "cards" in _enabled(proc), "still enabled"


def test_an_admins_upgrade_is_asked_first_then_made(server: tuple[ServerProcess, dict[str, str]]) -> None:
    proc, tokens = server
    body = '{"version": "1.0.0"}'
    enabled = proc.request("POST", "/api/v1/addons/tiles/enable", body, content_type="application/json")
    assert enabled.status == 202, enabled.body
    admin = Browser(proc.port)
    admin.sign_in(tokens["admin"])
    shown = admin.call("GET", "/addons/tiles")
    asked = admin.call(
        "POST", "/addons/tiles/upgrade", {"csrf": _field(shown.text, "csrf"), "version": "1.1.0"}
    )
    assert asked.status == 200 and "Upgrade addon tiles to 1.1.0?" in asked.text
    assert _enabled(proc)["tiles"]["version"] == "1.0.0", "nothing changed before it was confirmed"
    confirmed = {
        "csrf": _field(asked.text, "csrf"),
        "confirmed": "yes",
        "version": _field(asked.text, "version"),
    }
    assert admin.call("POST", "/addons/tiles/upgrade", confirmed).status == 303
    assert _enabled(proc)["tiles"]["version"] == "1.1.0"
