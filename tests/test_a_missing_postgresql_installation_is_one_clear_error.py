"""Without PostgreSQL on the machine, the `postgresql` addon's server does not start half-way: it says in
one line what is missing and what to install, and exits 1 — the cause the local target reports."""

from __future__ import annotations

import pytest

from vessel.errors import NotFoundError
from vessel.targets.local.postgresql import instance, server


@pytest.fixture
def no_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(instance, "VERSIONED_BINDIRS", ())
    monkeypatch.setattr(instance.shutil, "which", lambda name: None)


@pytest.mark.usefixtures("no_postgresql")
def test_finding_the_binaries_names_where_it_looked_and_what_to_install() -> None:
    with pytest.raises(NotFoundError) as caught:
        instance.bindir()
    assert "initdb" in caught.value.message and "apt-get install postgresql" in (caught.value.hint or "")


@pytest.mark.usefixtures("no_postgresql")
def test_the_server_exits_1_with_the_cause_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert server.main() == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "PostgreSQL is not installed" in err[0]
    assert not (instance.instance().data).exists()
