"""Addon dependency constraints mean what they mean in npm and KubeVela's addon metadata: carets,
tildes, wildcards, comparators joined by spaces or commas, `||`, and pre-releases only when named."""

from __future__ import annotations

import pytest

from vessel.addons.semver import newest, parse_constraint, parse_version

CASES = [
    (">=1.2.0", "1.3.0", True),
    (">=1.2.0, <2", "2.0.0", False),
    ("^1.2", "1.9.9", True),
    ("^1.2", "2.0.0", False),
    ("^0.2.3", "0.2.9", True),
    ("^0.2.3", "0.3.0", False),
    ("^0.0.3", "0.0.4", False),
    ("~1.2.3", "1.2.9", True),
    ("~1.2.3", "1.3.0", False),
    ("1.x", "1.5.0", True),
    ("1.x", "2.0.0", False),
    ("*", "0.0.1", True),
    ("1.2.3", "1.2.3", True),
    ("1.2.3", "1.2.4", False),
    (">1.2", "1.2.5", False),
    ("<=1.2", "1.2.9", True),
    ("^1.0 || ^3.0", "3.1.0", True),
    ("^1.0 || ^3.0", "2.1.0", False),
    (">=1 <2", "1.5.0-rc.1", False),
    (">=1.5.0-rc.1", "1.5.0-rc.2", True),
]


@pytest.mark.parametrize(("constraint", "version", "allowed"), CASES)
def test_a_constraint_allows_exactly_its_range(constraint: str, version: str, allowed: bool) -> None:
    parsed_constraint, parsed_version = parse_constraint(constraint), parse_version(version)
    assert parsed_constraint is not None and parsed_version is not None
    assert parsed_constraint.allows(parsed_version) is allowed


def test_the_newest_allowed_version_is_chosen_and_release_beats_pre_release() -> None:
    versions = ["1.0.0", "1.10.0", "1.9.0", "2.0.0", "1.10.0-rc.1"]
    constraint = parse_constraint("^1")
    assert constraint is not None and newest(versions, constraint) == "1.10.0"


@pytest.mark.parametrize("text", [">>1", "1.x.3", "abc", "^"])
def test_what_is_not_a_constraint_is_refused(text: str) -> None:
    assert parse_constraint(text) is None
