"""Standalone `Policy` and `Workflow` objects (core.oam.dev/v1alpha1) given with an Application are used
as KubeVela uses them: `spec.workflow.ref` runs the named Workflow's steps, a deploy step may name a
Policy object, a name that resolves to nothing is refused (never silently replaced by the default
workflow), and a revision holds what was resolved, so it does not depend on those files later."""

from __future__ import annotations

from pathlib import Path

import pytest

from vessel.controller.revisions import application_from_snapshot, snapshot
from vessel.definitions.files import load_files
from vessel.definitions.registry import build_registry
from vessel.errors import VesselError
from vessel.model.application import Application
from vessel.model.frozen import thaw
from vessel.workflow.plan import plan_for

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: shop
spec:
  components:
    - name: web
      type: webservice
      properties: {image: nginx}
  workflow:
    ref: release
"""
WORKFLOW = """\
apiVersion: core.oam.dev/v1alpha1
kind: Workflow
metadata:
  name: release
mode:
  steps: DAG
steps:
  - name: to-eu
    type: deploy
    properties:
      policies: [eu]
"""
POLICY = """\
apiVersion: core.oam.dev/v1alpha1
kind: Policy
metadata:
  name: eu
type: topology
properties:
  clusters: [local]
  namespace: eu
"""


def load(tmp_path: Path, **files: str) -> list[Application]:
    paths = []
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text)
        paths.append(str(tmp_path / f"{name}.yaml"))
    return list(load_files(paths).applications)


def error_of(tmp_path: Path, **files: str) -> str:
    with pytest.raises(VesselError) as err:
        load(tmp_path, **files)
    return str(err.value)


def test_a_workflow_ref_runs_the_named_workflows_steps_with_its_policy_objects(tmp_path: Path) -> None:
    [app] = load(tmp_path, app=APP, workflow=WORKFLOW, policy=POLICY)
    plan = plan_for(app)
    assert [(s.name, s.type) for s in plan.steps] == [("to-eu", "deploy")]
    assert plan.mode.value == "DAG"
    assert [(p.name, p.type, thaw(p.properties)) for p in app.policies] == [
        ("eu", "topology", {"clusters": ["local"], "namespace": "eu"})
    ]


def test_a_revision_holds_the_resolved_workflow_and_policies(tmp_path: Path) -> None:
    [app] = load(tmp_path, app=APP, workflow=WORKFLOW, policy=POLICY)
    spec = snapshot(app, build_registry(plugins=False)).spec
    again = application_from_snapshot(spec)  # no Workflow or Policy file at hand any more
    assert [s.name for s in plan_for(again).steps] == ["to-eu"]
    assert [p.name for p in again.policies] == ["eu"]


def test_a_ref_to_a_workflow_no_file_holds_is_refused_saying_what_to_pass(tmp_path: Path) -> None:
    other = WORKFLOW.replace("name: release", "name: hotfix")
    message = error_of(tmp_path, app=APP, workflow=other, policy=POLICY)
    assert (
        "app.yaml:11: spec.workflow.ref: names Workflow 'release', which none of the given files holds"
        in message
    )
    assert "pass the file that holds it with another -f" in message


def test_a_workflow_with_both_steps_and_a_ref_is_refused(tmp_path: Path) -> None:
    both = APP + "    steps:\n      - {name: a, type: suspend}\n"
    assert "spec.workflow.ref: a workflow has either steps or a ref, not both" in error_of(
        tmp_path, app=both, workflow=WORKFLOW
    )


def test_a_deploy_step_naming_an_undeclared_policy_is_refused_where_the_step_is(tmp_path: Path) -> None:
    message = error_of(tmp_path, app=APP, workflow=WORKFLOW)
    assert "workflow.yaml:11: spec.workflow.steps[0].properties.policies[0]: names policy 'eu'" in message


def test_a_policy_object_of_another_namespace_does_not_serve(tmp_path: Path) -> None:
    elsewhere = POLICY.replace("  name: eu\n", "  name: eu\n  namespace: other\n")
    assert "names policy 'eu'" in error_of(tmp_path, app=APP, workflow=WORKFLOW, policy=elsewhere)


def test_a_mistake_in_a_borrowed_step_names_the_file_it_was_written_in(tmp_path: Path) -> None:
    bad = WORKFLOW.replace("  - name: to-eu\n", "  - name: to-eu\n    dependsOn: [nothing]\n")
    message = error_of(tmp_path, app=APP, workflow=bad, policy=POLICY)
    assert "workflow.yaml:9: spec.workflow.steps[0].dependsOn[0]: depends on unknown workflow step" in message


def test_standalone_objects_no_application_uses_are_noted(tmp_path: Path) -> None:
    no_ref = APP.replace("  workflow:\n    ref: release\n", "")
    for name, text in {"app": no_ref, "workflow": WORKFLOW, "policy": POLICY}.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    loaded = load_files([str(tmp_path / f"{n}.yaml") for n in ("app", "workflow", "policy")])
    notes = loaded.all_notes()
    assert any("Workflow 'release' is not referred to by any Application: ignored" in n for n in notes)
    assert any("Policy 'eu' is not referred to by any Application: ignored" in n for n in notes)


def test_up_delivers_with_the_workflow_and_policy_of_other_files(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from vessel.cli.main import app as cli

    runner = CliRunner()
    out = tmp_path / "out"
    assert (
        runner.invoke(cli, ["target", "add", "out", "--type", "directory", "--path", str(out)]).exit_code == 0
    )
    placed = POLICY.replace("clusters: [local]", "clusters: [out]")
    for name, text in {"app": APP, "workflow": WORKFLOW, "policy": placed}.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    files = [arg for n in ("app", "workflow", "policy") for arg in ("-f", str(tmp_path / f"{n}.yaml"))]
    result = runner.invoke(cli, ["up", *files, "--timeout", "30s"])
    assert result.exit_code == 0, result.output
    assert "to-eu" in result.stdout
    assert [p.name for p in (out / "eu").rglob("*.yaml")], list(out.rglob("*"))


def test_a_revision_stored_before_refs_were_read_runs_as_it_ran() -> None:
    import yaml

    old = yaml.safe_load(APP)  # stored by a Vessel that ignored `ref`: it ran the default workflow
    app = application_from_snapshot(old)
    assert [(s.name, s.type) for s in plan_for(app).steps] == [("web", "apply-component")]
