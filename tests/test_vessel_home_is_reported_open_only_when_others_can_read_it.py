"""VESSEL_HOME's "open to other users" warning: named when others may list or write it (0755, 0777), not
when they may only enter it (0711) — the mode the shared PostgreSQL needs when Vessel runs as root, where
what the home holds keeps its own 0700/0600 modes."""

from __future__ import annotations

from pathlib import Path

import pytest

from vessel.home import exposure


@pytest.mark.parametrize(("mode", "warned"), [(0o700, False), (0o711, False), (0o755, True), (0o733, True)])
def test_only_a_readable_or_writable_home_is_named(tmp_path: Path, mode: int, warned: bool) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "vessel.db").write_bytes(b"")
    home.chmod(mode)
    said = exposure(home)
    assert (said is not None) == warned
    if warned:
        assert str(home) in (said or "") and f"{mode:04o}" in (said or "")
