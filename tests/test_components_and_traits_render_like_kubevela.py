"""How a component and its traits become resources: traits apply in order on the patched workload,
appliesToWorkloads is enforced, outputs carry KubeVela's labels, names are deterministic, and two
components can never silently render the same object."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from vessel.definitions import build_registry, load_files
from vessel.errors import RenderError, TraitNotApplicableError, VesselError
from vessel.render import render_application, resources

DEFINITIONS = """\
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {name: box}
spec:
  workload: {definition: {apiVersion: apps/v1, kind: Deployment}, type: deployments.apps}
  schematic:
    jinja:
      parameters: {type: object, properties: {name: {type: string}}}
      templates:
        kubernetes: |
          output:
            apiVersion: apps/v1
            kind: Deployment
          {% if parameter.name is defined %}
            metadata: {name: {{ parameter.name }}}
          {% endif %}
            spec:
              replicas: 1
              template:
                spec:
                  containers: [{name: {{ context.name }}, image: app}]
          outputs:
            config:
              apiVersion: v1
              kind: ConfigMap
              data:
                revision: {{ context.appRevision }}
                number: {{ context.appRevisionNum | string }}
                namespace: {{ context.namespace }}
---
apiVersion: core.oam.dev/v1beta1
kind: TraitDefinition
metadata: {name: double}
spec:
  appliesToWorkloads: [deployments.apps]
  schematic:
    jinja:
      templates:
        kubernetes: |
          patch:
            spec:
              replicas: {{ context.output.spec.replicas * 2 }}
---
apiVersion: core.oam.dev/v1beta1
kind: TraitDefinition
metadata: {name: job-only}
spec:
  appliesToWorkloads: [jobs.batch]
  schematic: {jinja: {templates: {kubernetes: "patch: {}"}}}
---
apiVersion: core.oam.dev/v1beta1
kind: TraitDefinition
metadata: {name: svc}
spec:
  schematic:
    jinja:
      parameters: {type: object, properties: {named: {type: boolean, default: true}}}
      templates:
        kubernetes: |
          outputs:
            service:
              apiVersion: v1
              kind: Service
          {% if parameter.named %}
              metadata: {name: {{ context.name ~ "-svc" }}}
          {% endif %}
              spec:
                ports: [{port: 80}]
---
apiVersion: core.oam.dev/v1beta1
kind: TraitDefinition
metadata: {name: ops}
spec:
  schematic:
    jinja:
      templates:
        kubernetes: |
          patchStrategy: jsonPatch
          patch:
            - {op: add, path: /spec/paused, value: true}
            - {op: remove, path: /spec/template}
---
apiVersion: core.oam.dev/v1beta1
kind: TraitDefinition
metadata: {name: merge}
spec:
  schematic:
    jinja:
      templates:
        kubernetes: |
          patchStrategy: jsonMergePatch
          patch: {spec: {template: null, minReadySeconds: 5}}
---
apiVersion: core.oam.dev/v1beta1
kind: TraitDefinition
metadata: {name: odd}
spec:
  schematic: {jinja: {templates: {kubernetes: "pach: {}"}}}
---
apiVersion: core.oam.dev/v1beta1
kind: TraitDefinition
metadata: {name: local-only}
spec:
  schematic: {jinja: {templates: {local: "patch: {}"}}}
"""


def render(components: list[dict[str, Any]], tmp_path: Any, **meta: Any) -> list[dict[str, Any]]:
    app = {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": "app", **meta},
        "spec": {"components": components},
    }
    file = tmp_path / "app.yaml"
    file.write_text(yaml.safe_dump(app) + "---\n" + DEFINITIONS)
    loaded = load_files([str(file)])
    registry = build_registry(documents=loaded.definitions, plugins=False)
    return [r.body for r in resources(render_application(loaded.applications[0], registry))]


def box(component: str = "web", *traits: str, **props: Any) -> dict[str, Any]:
    return {"name": component, "type": "box", "properties": props, "traits": [{"type": t} for t in traits]}


def test_traits_apply_in_order_each_seeing_the_patched_workload(tmp_path: Any) -> None:
    deployment = render([box("web", "double", "double", "double")], tmp_path)[0]
    assert deployment["spec"]["replicas"] == 8


def test_trait_that_does_not_apply_is_refused(tmp_path: Any) -> None:
    with pytest.raises(
        TraitNotApplicableError, match="trait 'job-only' does not apply to component 'web'.*jobs.batch"
    ):
        render([box("web", "job-only")], tmp_path)


def test_component_and_trait_outputs_carry_kubevela_labels(tmp_path: Any) -> None:
    _, config, service = render([box("web", "svc")], tmp_path, labels={"team": "a"})
    assert config["metadata"]["labels"] == {
        "team": "a",
        "app.oam.dev/name": "app",
        "app.oam.dev/namespace": "default",
        "app.oam.dev/appRevision": "app-v1",
        "app.oam.dev/component": "web",
        "app.oam.dev/resourceType": "TRAIT",
        "trait.oam.dev/type": "AuxiliaryWorkload",
        "trait.oam.dev/resource": "config",
    }
    assert service["metadata"]["labels"]["trait.oam.dev/type"] == "svc"
    assert service["metadata"]["labels"]["trait.oam.dev/resource"] == "service"
    assert config["data"] == {"revision": "app-v1", "number": "1", "namespace": "default"}


def test_unnamed_outputs_get_deterministic_kubevela_style_names(tmp_path: Any) -> None:
    comps = [{**box("web"), "traits": [{"type": "svc", "properties": {"named": False}}]}]
    first = render(comps, tmp_path)
    assert first == render(comps, tmp_path)
    assert first[1]["metadata"]["name"].startswith("web-auxiliaryworkload-")
    assert first[2]["metadata"]["name"].startswith("web-svc-")


def test_application_annotations_spread_to_every_resource(tmp_path: Any) -> None:
    out = render([box("web")], tmp_path, annotations={"owner": "shop"})
    assert all(r["metadata"]["annotations"] == {"owner": "shop"} for r in out)


def test_json_patch_and_json_merge_patch_strategies(tmp_path: Any) -> None:
    (patched, *_) = render([box("web", "ops")], tmp_path)
    assert patched["spec"]["paused"] is True and "template" not in patched["spec"]
    (merged, *_) = render([box("web", "merge")], tmp_path)
    assert merged["spec"]["minReadySeconds"] == 5 and "template" not in merged["spec"]


def test_two_components_rendering_the_same_object_is_an_error(tmp_path: Any) -> None:
    with pytest.raises(RenderError, match="Deployment.apps/v1 default/same is rendered twice"):
        render([box("a", name="same"), box("b", name="same")], tmp_path)


def test_unknown_template_result_key_is_an_error(tmp_path: Any) -> None:
    with pytest.raises(RenderError, match="unknown key\\(s\\) pach"):
        render([box("web", "odd")], tmp_path)


def test_definition_without_a_rendering_for_the_target_type_says_which_it_has(tmp_path: Any) -> None:
    with pytest.raises(RenderError, match="no rendering for target type 'kubernetes' \\(it has: local\\)"):
        render([box("web", "local-only")], tmp_path)


def test_every_failing_component_is_reported(tmp_path: Any) -> None:
    with pytest.raises(VesselError) as err:
        render([box("a", "job-only"), box("b", "job-only")], tmp_path)
    assert "component 'a'" in str(err.value) and "component 'b'" in str(err.value)
