"""A real browser for the dashboard's tests: Debian's Chromium (installed by scripts/setup.sh), driven by
Playwright for Python — launched from its own executable, never a browser Playwright downloads. Without
Chromium or Playwright the browser tests are skipped, saying which is missing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

WIDTH = 1024  # the narrowest the dashboard is made for
ACTION_MS = 15_000  # Playwright's wait for one action or expectation


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("Chromium is not installed (scripts/setup.sh installs Debian's `chromium`)")
    return found


@contextmanager
def browser() -> Iterator[Browser]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements.lock")
    executable = chromium()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox"], timeout=30_000
        )
        try:
            yield launched
        finally:
            launched.close()


def signed_in(browser: Browser, url: str, token: str) -> Page:
    """A page of a new browser context (its own cookies) signed in with `token`, on the overview."""
    page = browser.new_context(viewport={"width": WIDTH, "height": 800}, base_url=url).new_page()
    page.set_default_timeout(ACTION_MS)
    page.goto("/")  # without a session: sent to the sign-in page
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")
    return page


def screenshot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
