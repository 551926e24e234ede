"""The box an admin fills when an addon's parameters are more than plain fields takes what `vessel addon
enable` takes: YAML (`key: value`) or `key=value` lines (dotted keys nest, values typed as YAML), both
meaning the same parameters; anything else is one error naming the box."""

from __future__ import annotations

import pytest

from vessel.dashboard.addons_page import settings_from_text
from vessel.errors import ValidationError


def test_yaml_and_key_value_lines_mean_the_same_parameters() -> None:
    as_yaml = "size: 3\nauth:\n  user: app\n  tls: true\n"
    as_sets = "size=3\nauth.user=app\n\nauth.tls=true\n"
    expected = {"size": 3, "auth": {"user": "app", "tls": True}}
    assert settings_from_text(as_yaml) == expected
    assert settings_from_text(as_sets) == expected
    assert settings_from_text("  \n") == {}


@pytest.mark.parametrize("text", ["just words", "- a\n- b\n", "a: 1\n---\nb: 2\n"])
def test_anything_else_is_an_error_naming_the_box(text: str) -> None:
    with pytest.raises(ValidationError, match="settings"):
        settings_from_text(text)
