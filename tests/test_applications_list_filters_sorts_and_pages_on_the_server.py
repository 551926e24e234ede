"""The dashboard's applications list (dashboard/app_list.py `select`) searches, filters by namespace,
project, phase, health and target, sorts by any column either way and pages — on the server, and only
among the applications of namespaces the caller may see."""

from __future__ import annotations

import pytest

from vessel.dashboard.app_list import Wanted, select
from vessel.errors import ValidationError
from vessel.store.records import AppRecord, Phase

PHASES = [Phase.RUNNING, Phase.FAILED, Phase.SUSPENDING, Phase.UNHEALTHY]


def _apps(count: int) -> list[AppRecord]:
    return [
        AppRecord(
            i, f"ns-{i % 3}", f"app-{i:03d}", 1 + i % 4, 1 + i % 4, PHASES[i % 4], "", False, 0.0, 1000.0 - i
        )
        for i in range(count)
    ]


TARGETS = {i: frozenset({"east"} if i % 2 else {"west"}) for i in range(120)}


def _names(
    wanted: Wanted, visible: frozenset[str] | None = None, project: frozenset[str] | None = None
) -> list[str]:
    return [r.app.name for r in select(_apps(120), wanted, visible, project, TARGETS).rows]


def test_each_filter_keeps_only_what_it_names() -> None:
    assert {int(n[4:]) % 3 for n in _names(Wanted(namespace="ns-1", size=500))} == {1}
    assert {int(n[4:]) % 4 for n in _names(Wanted(phase=Phase.FAILED, size=500))} == {1}
    assert {int(n[4:]) % 4 for n in _names(Wanted(health="healthy", size=500))} == {0}
    assert {int(n[4:]) % 4 for n in _names(Wanted(health="unhealthy", size=500))} == {1, 3}
    assert {int(n[4:]) % 2 for n in _names(Wanted(target="east", size=500))} == {1}
    assert _names(Wanted(q="APP-11", sort="name")) == [f"app-11{d}" for d in range(10)]
    assert {int(n[4:]) % 3 for n in _names(Wanted(size=500), project=frozenset({"ns-0", "ns-2"}))} == {0, 2}


def test_only_the_namespaces_the_caller_may_see_are_listed() -> None:
    listed = select(_apps(120), Wanted(size=500), frozenset({"ns-2"}), None, TARGETS)
    assert listed.total == 40 and {r.app.namespace for r in listed.rows} == {"ns-2"}


def test_sorting_and_paging() -> None:
    by_update = _names(Wanted(sort="updated", order="desc", size=5))
    assert by_update == ["app-000", "app-001", "app-002", "app-003", "app-004"]  # updated_at falls with i
    by_name_desc = _names(Wanted(sort="name", order="desc", size=3))
    assert by_name_desc == ["app-119", "app-118", "app-117"]
    listed = select(_apps(120), Wanted(sort="name", page=3, size=50), None, None, TARGETS)
    assert (listed.total, listed.pages) == (120, 3)
    assert [r.app.name for r in listed.rows] == [f"app-{i:03d}" for i in range(100, 120)]
    beyond = select(_apps(120), Wanted(sort="name", page=9, size=50), None, None, TARGETS)
    assert beyond.rows == listed.rows  # past the last page: the last page
    assert (
        Wanted(sort="phase", order="desc", page=2).link(page=3)
        == "/applications?sort=phase&order=desc&page=3"
    )


def test_a_wrong_sort_or_health_is_one_error_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="sort"):
        Wanted(sort="colour").check()
    with pytest.raises(ValidationError, match="health"):
        Wanted(health="fine").check()
