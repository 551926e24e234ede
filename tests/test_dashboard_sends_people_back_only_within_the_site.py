"""After signing in, the dashboard sends a person back to the page they asked for — only ever a page of
the same site: a URL, `//elsewhere`, or either disguised as a path, leads to the overview instead."""

from __future__ import annotations

import pytest

from vessel.dashboard.signing import next_page


@pytest.mark.parametrize(
    "asked", ["/applications?phase=running", "/applications/team/web/revisions?left=1&right=2", "/"]
)
def test_a_page_of_the_site_is_where_the_person_goes(asked: str) -> None:
    assert next_page(asked) == asked


@pytest.mark.parametrize(
    "asked",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "\n//evil",
        "applications",
    ],
)
def test_anything_else_leads_to_the_overview(asked: str | None) -> None:
    assert next_page(asked) == "/"
