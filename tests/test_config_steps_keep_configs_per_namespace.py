"""The config steps (`create-config`, `read-config`, `list-config`, `delete-config`) keep named configs
in the store per namespace, with KubeVela's parameters and outputs (`config`, `configs`); a missing
config or a changed template fails the step at once with a message naming it; bad parameters are
refused at submit. On a SQLite file and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from step_apps import application, check_as_up_does, run_of, step, steps
from vessel.errors import VesselError
from vessel.store import Phase
from vessel.store.configs import Configs
from vessel.store.records import StepPhase
from vessel.testing.engine import Harness, ProcessKilled
from vessel.workflow.step_api import Outcome, StepContext
from vessel.workflow.steps.configs import delete_config

DB = {"host": "db.internal", "password": "s3cret-pass"}


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def test_a_config_created_by_one_step_is_read_and_listed_by_later_ones(h: Harness) -> None:
    workflow = [
        step("make", "create-config", {"name": "db", "template": "vela-system/database", "config": DB}),
        step("other", "create-config", {"name": "cache", "template": "redis", "config": {"url": "r"}}),
        step("read", "read-config", {"name": "db"}, outputs=[{"name": "host", "valueFrom": "config.host"}]),
        step(
            "list",
            "list-config",
            {"template": "database"},
            outputs=[{"name": "names", "valueFrom": "configs | map(attribute='name') | list"}],
        ),
    ]
    app = h.up(application(workflow, namespace="team-a"))
    assert app.phase == Phase.RUNNING, app.message
    assert run_of(h, namespace="team-a").values == {"host": "db.internal", "names": ["db"]}
    listed = steps(h, namespace="team-a")["list"].outputs["configs"]
    assert listed == [{"name": "db", "alias": "", "description": "", "config": DB}]
    assert Configs(h.store).get("team-a", "db") is not None  # the application's namespace by default
    assert Configs(h.store).get("default", "db") is None


def test_configs_of_another_namespace_are_not_seen(h: Harness) -> None:
    made = step("make", "create-config", {"name": "db", "namespace": "team-b", "config": DB})
    assert h.up(application([made])).phase == Phase.RUNNING
    app = h.up(application([step("read", "read-config", {"name": "db"})], name="reader"))
    read = steps(h, "reader")["read"]
    assert app.phase == Phase.FAILED and read.phase == StepPhase.FAILED
    assert "config default/db does not exist" in read.message and "create-config" in read.message
    there = step(
        "read",
        "read-config",
        {"name": "db", "namespace": "team-b"},
        outputs=[{"name": "pw", "valueFrom": "config.password"}],
    )
    assert h.up(application([there], name="reader2")).phase == Phase.RUNNING
    assert run_of(h, "reader2").values == {"pw": "s3cret-pass"}


def test_reading_a_missing_config_fails_at_once_naming_the_configs_there(h: Harness) -> None:
    Configs(h.store).put("default", "cache", "", {"url": "redis://x"}, 0.0)
    app = h.up(application([step("read", "read-config", {"name": "db"})]))
    read = steps(h)["read"]
    assert (app.phase, read.phase, read.attempts) == (Phase.FAILED, StepPhase.FAILED, 1)
    assert "config default/db does not exist" in read.message and "configs in namespace default: cache" in (
        read.message
    )


def test_delete_config_removes_it_and_deleting_a_missing_one_fails(h: Harness) -> None:
    Configs(h.store).put("default", "db", "", DB, 0.0)
    assert h.up(application([step("rm", "delete-config", {"name": "db"})])).phase == Phase.RUNNING
    assert Configs(h.store).get("default", "db") is None
    app = h.up(application([step("rm", "delete-config", {"name": "db"})], name="again"))
    rm = steps(h, "again")["rm"]
    assert app.phase == Phase.FAILED and "config default/db does not exist" in rm.message


def test_delete_config_run_again_after_a_crash_succeeds(h: Harness) -> None:
    """The process died after the config was deleted, before the step's success was recorded: the step
    runs again (at least once) and must not fail because its own first attempt did the work."""
    Configs(h.store).put("default", "db", "", DB, 0.0)

    def delete_then_die(ctx: StepContext) -> Outcome:
        delete_config(ctx)
        raise ProcessKilled

    h.controller.engine.step_functions["delete-config"] = delete_then_die
    record = h.submit(application([step("rm", "delete-config", {"name": "db"})]))
    with pytest.raises(ProcessKilled):
        h.controller.drive(record, timeout=60)
    restarted = h.restart()
    restarted.engine.step_functions["delete-config"] = delete_config
    app = restarted.drive(h.record("wf"), timeout=60)
    rm = steps(h)["rm"]
    assert (app.phase, rm.attempts) == (Phase.RUNNING, 2)
    assert rm.message == "config default/db is gone (deleted by an earlier attempt)"


def test_a_config_keeps_the_template_it_was_created_with(h: Harness) -> None:
    Configs(h.store).put("default", "db", "database", DB, 0.0)
    update = step("make", "create-config", {"name": "db", "template": "database", "config": {"host": "new"}})
    assert h.up(application([update])).phase == Phase.RUNNING
    record = Configs(h.store).get("default", "db")
    assert record is not None and record.config == {"host": "new"}
    change = step("make", "create-config", {"name": "db", "template": "redis", "config": {}})
    app = h.up(application([change], name="changer"))
    message = steps(h, "changer")["make"].message
    assert app.phase == Phase.FAILED and "created from template 'database', not 'redis'" in message


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({"config": {}}, "properties.name: required field is missing"),
        ({"name": "db", "config": "text"}, "properties.config: "),
        ({"name": "db", "config": {}, "colour": 1}, "colour"),
    ],
)
def test_bad_config_parameters_are_refused_at_submit_naming_the_field(
    h: Harness, properties: dict[str, object], expected: str
) -> None:
    with pytest.raises(VesselError) as caught:
        check_as_up_does(h, application([step("make", "create-config", properties)]))
    assert expected in str(caught.value) and "spec.workflow.steps[0].properties" in str(caught.value)
