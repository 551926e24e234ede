"""`vessel def list` shows every definition KubeVela's chart installs by default, each of the same kind,
so an Application written for KubeVela never meets "unknown type"; the ones Vessel refuses say so and
why, in the table and in `-o json`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli

# KubeVela's default built-ins: the definitions in charts/vela-core/templates/defwithtemplate/ of
# kubevela/kubevela (v1.10 line), by kind. Written here as data; never fetched when the tests run.
KUBEVELA_DEFAULTS = {
    "ComponentDefinition": """
        cron-task daemon helmchart k8s-objects raw ref-objects statefulset task webservice worker""",
    "TraitDefinition": """
        affinity annotations command configmap container-image container-ports cpuscaler env expose
        gateway hostalias hpa ingress ingress-1-20 init-container json-merge-patch json-patch
        k8s-update-strategy labels lifecycle nocalhost node-affinity podsecuritycontext pure-ingress pvc
        resource scaler securitycontext service-account service-binding sidecar startup-probe storage
        topologyspreadconstraints volumes""",
    "PolicyDefinition": """
        apply-once envbinding garbage-collect override read-only replication resource-update
        shared-resource take-over topology""",
    "WorkflowStepDefinition": """
        apply-application apply-application-in-parallel apply-component apply-deployment apply-object
        apply-remaining apply-terraform-config apply-terraform-provider build-push-image check-metrics
        clean-jobs collect-service-endpoints create-config delete-config depends-on-app deploy
        deploy-cloud-resource deploy2env deploy2runtime export-data export-service export2config
        export2secret generate-jdbc-connection list-config notification print-message-in-status
        read-config read-object request restart-workflow share-cloud-resource step-group suspend vela-cli
        webhook""",
}
EXPECTED = sorted((kind, name) for kind, names in KUBEVELA_DEFAULTS.items() for name in names.split())

runner = CliRunner()


@pytest.fixture(scope="module")
def listed() -> list[dict[str, object]]:
    result = runner.invoke(cli, ["def", "list", "-o", "json"])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_every_kubevela_default_builtin_is_listed_with_its_kind(listed: list[dict[str, object]]) -> None:
    shown = {(str(d["kind"]), str(d["name"])) for d in listed}
    assert len(EXPECTED) == 91
    assert [pair for pair in EXPECTED if pair not in shown] == []


def test_refused_builtins_say_why(listed: list[dict[str, object]]) -> None:
    refused = {str(d["name"]): str(d["refused"]) for d in listed if d.get("refused")}
    assert {"vela-cli", "check-metrics"} <= set(refused)
    assert not {"deploy2env", "envbinding"} & set(refused)  # deprecated in KubeVela, delivered by Vessel
    assert all(len(why) > 40 for why in refused.values())  # a reason and what to use instead, not a flag
    table = runner.invoke(cli, ["def", "list"], env={"COLUMNS": "400"}).stdout
    row = next(line for line in table.splitlines() if " vela-cli " in line)
    assert "REFUSED: vela-cli" in row  # the reason follows, as wide as the terminal (the JSON has it whole)
