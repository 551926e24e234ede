"""`/metrics` of a real server measures delivery as it happens: a change rejected by its target counts
as a failed delivery and change, with the target's error by class and the failed step by type; the fix
counts as a succeeded change with its lead time, and the application's return to `running` as a time to
restore; a rollback counts as one (a restart after it does not); the change failure rate is what
`vessel stats` says; a timed suspension is a run waiting whose lease this server holds; and the loop
reports its pass durations and a lag near zero while it keeps its schedule. Counters carry the project,
never the application."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from server_process import ServerProcess, admin_token, wait_for, with_target
from vessel.controller.projects import create_project
from vessel.store.store import Store

STATUS = "/api/v1/namespaces/team-a/applications/{name}"


def _app(name: str, image: str, steps: str = "") -> str:
    lines = [
        "apiVersion: core.oam.dev/v1beta1",
        "kind: Application",
        f"metadata: {{name: {name}, namespace: team-a}}",
        "spec:",
        "  components:",
        f"    - {{name: {name}, type: webservice, properties: {{image: '{image}'}}}}",
    ]
    return "\n".join(lines + ([f"  workflow: {{steps: [{steps}]}}"] if steps else [])) + "\n"


def _value(text: str, series: str) -> float:
    """The sample of `series` (name and labels exactly as exposed); 0 when absent."""
    found = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def _phase(server: ServerProcess, name: str) -> str:
    answer = server.request("GET", STATUS.format(name=name))
    assert answer.status == 200, answer.body
    phase: str = answer.json()["phase"]
    return phase


def _reaches(server: ServerProcess, name: str, phase: str) -> None:
    wait_for(lambda: _phase(server, name) == phase, f"{name} {phase}")


@pytest.mark.timeout(120)
def test_metrics_follow_a_failed_change_its_fix_and_a_rollback(isolated_home: Path) -> None:
    gitops = isolated_home / "gitops"
    with_target(isolated_home, "gitops", "directory", {"path": str(gitops)})
    token = admin_token(isolated_home)
    store = Store.open(f"sqlite:///{isolated_home / 'vessel.db'}")
    create_project(store, "team", ["team-a"], [], time.time(), actor="test")
    store.close()
    foreign = gitops / "team-a" / "deployment.apps" / "web.yaml"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("# written by hand\n")  # the directory target refuses to overwrite it
    server = ServerProcess(isolated_home, token).start("--interval", "0.2")
    try:
        assert server.request("POST", "/api/v1/applications", _app("web", "web:1")).status == 202
        _reaches(server, "web", "workflowFailed")
        foreign.unlink()
        assert server.request("POST", "/api/v1/applications", _app("web", "web:2")).status == 202
        _reaches(server, "web", "running")
        rollback = server.request("POST", STATUS.format(name="web") + "/workflow/rollback?revision=1")
        assert rollback.status == 202, rollback.body
        wait_for(lambda: server.request("GET", STATUS.format(name="web")).json()["revision"] == 1, "rollback")
        _reaches(server, "web", "running")
        hold = "{name: hold, type: suspend, properties: {duration: 1h}}"
        assert server.request("POST", "/api/v1/applications", _app("held", "web:1", hold)).status == 202
        _reaches(server, "held", "workflowSuspending")

        text = server.request("GET", "/metrics", token=None).body.decode()
        team = 'project="team"'
        assert _value(text, f'vessel_deliveries_total{{{team},result="failed"}}') == 1
        assert _value(text, f'vessel_deliveries_total{{{team},result="succeeded"}}') == 2
        assert _value(text, f'vessel_changes_total{{{team},result="failed"}}') == 1
        assert _value(text, f'vessel_changes_total{{{team},result="succeeded"}}') == 1
        assert _value(text, f'vessel_rollbacks_total{{{team},result="succeeded"}}') == 1
        assert _value(text, f"vessel_lead_time_seconds_count{{{team}}}") == 1
        assert _value(text, f"vessel_time_to_restore_seconds_count{{{team}}}") == 1
        assert _value(text, f"vessel_time_to_restore_seconds_sum{{{team}}}") > 0
        assert (
            _value(text, 'vessel_target_request_errors_total{class="TargetRejectedError",target="gitops"}')
            >= 1
        )
        step = 'vessel_workflow_step_seconds_count{{result="{}",type="apply-component"}}'
        assert _value(text, step.format("failed")) == 1
        assert _value(text, step.format("succeeded")) == 2
        # web:1 failed and web:2 was rolled back: both changes count as failures (vessel stats agrees).
        assert _value(text, "vessel_change_failure_rate") == 1.0
        keys = server.request("GET", "/api/v1/stats?since=1d").json()
        assert keys["changeFailureRate"] == 1.0
        assert _value(text, 'vessel_runs_waiting{reason="suspended"}') == 1
        assert _value(text, 'vessel_runs_waiting{reason="undriven"}') == 0
        assert _value(text, "vessel_leases_held") == 1  # the timed suspension's: this server resumes it
        assert _value(text, "vessel_reconcile_pass_seconds_count") >= 1
        assert 0 <= _value(text, "vessel_reconcile_lag_seconds") < 5
        assert "web" not in re.findall(r"\{[^}]*\}", text).__str__()  # no series names an application

        restart = server.request("POST", STATUS.format(name="web") + "/workflow/restart")
        assert restart.status == 202, restart.body
        succeeded = f'vessel_deliveries_total{{{team},result="succeeded"}}'

        def delivered_three_times() -> str | None:
            now = server.request("GET", "/metrics", token=None).body.decode()
            return now if _value(now, succeeded) == 3 else None

        after = wait_for(delivered_three_times, "the restart delivered")
        assert _value(after, f'vessel_rollbacks_total{{{team},result="succeeded"}}') == 1  # a restart is none
        assert _value(after, f'vessel_changes_total{{{team},result="succeeded"}}') == 1
    finally:
        server.kill()
