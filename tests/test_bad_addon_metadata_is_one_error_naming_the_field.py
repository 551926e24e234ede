"""An addon whose metadata.yaml (or layout) is wrong is refused with one error naming the file, the line
and the field — by `addon enable`, and listed as a problem by `addon list` — and nothing is enabled."""

from __future__ import annotations

from pathlib import Path

import pytest

from addon_fixtures import write_addon
from vessel.addons.package import read_package
from vessel.errors import ValidationError

CASES = {
    "a version that is not semver": (
        {"version": "one"},
        r"metadata.yaml:\d+: version: 'one' is not a semver version",
    ),
    "an unknown field": ({"deployTo": {"runtimeCluster": True}}, r"metadata.yaml:\d+: .*deployTo"),
    "a bad dependency constraint": (
        {"dependencies": [{"name": "db", "version": ">>2"}]},
        r"metadata.yaml:\d+: dependencies\[0\]\.version: '>>2' is not a version constraint",
    ),
    "a name that is not a DNS label": ({"name": "My_Addon"}, r"metadata.yaml:\d+: name: "),
    "system.vela instead of system.vessel": (
        {"system": {"vela": ">=1.6"}},
        r"metadata.yaml:\d+: system.*vela",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_metadata_is_one_error_naming_the_field(tmp_path: Path, case: str) -> None:
    fields, expected = CASES[case]
    root = write_addon(tmp_path, "thing", metadata=fields)
    with pytest.raises(ValidationError, match=expected) as raised:
        read_package(root)
    assert "\n" not in str(raised.value)


def test_a_cue_template_is_refused_saying_what_to_write_instead(tmp_path: Path) -> None:
    root = write_addon(tmp_path, "thing")
    (root / "template.cue").write_text("output: {}\n")
    with pytest.raises(
        ValidationError, match=r"template.cue.*not part of the addon format.*application.yaml"
    ):
        read_package(root)


def test_a_broken_definition_is_refused_when_the_addon_is_read(tmp_path: Path) -> None:
    root = write_addon(tmp_path, "thing", component="greeting")
    path = root / "definitions" / "greeting.yaml"
    path.write_text(path.read_text().replace("{{ context.name }}", "{{ context.name }"))
    with pytest.raises(Exception, match=r"addon thing@1.0.0: definitions/greeting.yaml:\d+: spec.schematic"):
        read_package(root)
