"""Enabled addons live in the store, not in a folder of one machine: another connection to the same store
(another process, a server, another machine on the same PostgreSQL) builds a registry holding the
addon's definitions, and a disabled addon's definitions are gone for it too — on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from addon_fixtures import write_addon
from vessel.addons import enable as addons
from vessel.addons.catalog import DIRECTORY
from vessel.addons.installed import addon_definitions
from vessel.definitions.definition import Kind
from vessel.definitions.registry import build_registry
from vessel.store.addons import AddonStore
from vessel.store.store import Store


@pytest.mark.timeout(180)
def test_another_connection_sees_the_enabled_addons_definitions(store_url: str, tmp_path: Path) -> None:
    write_addon(tmp_path / "registry", "greetings", component="greeting")
    here = Store.open(store_url)
    AddonStore(here).add_registry("team", DIRECTORY, str(tmp_path / "registry"), 1.0)
    addons.commit(here, addons.prepare(here, "greetings", {}, 2.0))
    shutil.rmtree(tmp_path / "registry")  # nothing is read from the registry's folder any more

    elsewhere = Store.open(store_url)
    try:
        registry = build_registry(installed=addon_definitions(elsewhere), plugins=False)
        found = registry.find(Kind.COMPONENT, "greeting")
        assert found is not None and found.origin == "addon greetings@1.0.0: definitions/greeting.yaml"

        AddonStore(here).disable("greetings")
        assert (
            build_registry(installed=addon_definitions(elsewhere), plugins=False).find(
                Kind.COMPONENT, "greeting"
            )
            is None
        )
    finally:
        elsewhere.close()
        here.close()
