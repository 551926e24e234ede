"""KubeVela's deprecated `envbinding` policy and `deploy2env` step: a deploy2env step delivers the
Application as its env sees it — components filtered by the env's selector, patched like an override
policy (a disabled trait is removed), on the env's target(s) and namespace. Without a workflow, one
deploy2env step per env is generated. An env the policy does not have is refused at submit, naming the
field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from step_apps import check_as_up_does
from vessel.cli.main import app as cli
from vessel.controller.projects import targets_used
from vessel.errors import VesselError
from vessel.store import Phase
from vessel.testing.engine import Harness

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:1"}
      traits: [{type: scaler, properties: {replicas: 1}}, {type: labels, properties: {tier: web}}]
    - name: jobs
      type: worker
      properties: {image: "shop/jobs:1"}
  policies:
    - name: envs
      type: envbinding
      properties:
        envs:
          - name: staging
            placement: {clusterSelector: {name: stage}, namespaceSelector: {name: shop-staging}}
            selector: {components: [api]}
            patch:
              components:
                - name: api
                  properties: {image: "shop/api:2"}
                  traits: [{type: scaler, properties: {replicas: 3}}, {type: labels, disable: true}]
          - name: prod
            placement: {clusterSelector: {labels: {region: eu}}}
"""


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url, "mem", "stage", "eu-1:region=eu", "us-1:region=us")
    yield harness
    harness.store.close()


def deployments(h: Harness, target: str) -> dict[tuple[str | None, str], dict[str, Any]]:
    return {
        (key.namespace, key.name): obj
        for key, obj in h.targets[target].objects.items()
        if key.kind == "Deployment"
    }


def workflow(env: str) -> str:
    return (
        f"  workflow:\n    steps:\n      - {{name: to-{env}, type: deploy2env, properties: {{env: {env}}}}}\n"
    )


def test_deploy2env_places_the_patched_components_on_the_envs_target_and_namespace(h: Harness) -> None:
    record = h.up(APP + workflow("staging"))
    assert record.phase == Phase.RUNNING, record.message
    staged = deployments(h, "stage")
    assert list(staged) == [("shop-staging", "api")]  # the selector leaves jobs out
    api = staged[("shop-staging", "api")]
    assert api["spec"]["replicas"] == 3
    assert api["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/api:2"
    assert "tier" not in api["metadata"].get("labels", {})  # the labels trait is disabled in staging
    assert deployments(h, "mem") == {} and deployments(h, "eu-1") == {}


def test_an_env_without_selector_or_patch_delivers_every_component_to_the_targets_its_labels_select(
    h: Harness,
) -> None:
    record = h.up(APP + workflow("prod"))
    assert record.phase == Phase.RUNNING, record.message
    eu = deployments(h, "eu-1")
    assert sorted(name for _, name in eu) == ["api", "jobs"]
    api = next(obj for (_, name), obj in eu.items() if name == "api")
    assert api["metadata"]["labels"]["tier"] == "web"
    assert deployments(h, "us-1") == {} and deployments(h, "stage") == {}


def test_without_a_workflow_every_env_is_delivered(h: Harness) -> None:
    record = h.up(APP)
    assert record.phase == Phase.RUNNING, record.message
    assert list(deployments(h, "stage")) == [("shop-staging", "api")]
    assert sorted(name for _, name in deployments(h, "eu-1")) == ["api", "jobs"]


def test_an_env_the_policy_does_not_have_is_refused_at_submit(h: Harness) -> None:
    with pytest.raises(VesselError) as caught:
        check_as_up_does(h, APP + workflow("qa"))
    message = str(caught.value)
    assert (
        "spec.workflow.steps[0].properties.env: deploy2env: envbinding policy 'envs' has no env named 'qa'"
        in message
    )
    assert "envs: staging, prod" in message


def test_a_policy_that_is_no_envbinding_policy_is_refused_at_submit(h: Harness) -> None:
    steps = (
        "  workflow:\n    steps:\n      - {name: s, type: deploy2env, properties: {policy: env, env: prod}}\n"
    )
    with pytest.raises(VesselError) as caught:
        check_as_up_does(h, APP + steps)
    message = str(caught.value)
    assert "spec.workflow.steps[0].properties.policy: deploy2env: no envbinding policy named 'env'" in message
    assert "envbinding policies: envs" in message


def test_a_patch_an_env_makes_is_checked_at_submit(h: Harness) -> None:
    bad = APP.replace('properties: {image: "shop/api:2"}', "properties: {image: 5}")
    with pytest.raises(VesselError) as caught:
        check_as_up_does(h, bad + workflow("staging"))
    assert "properties.image" in str(caught.value)


def test_dry_run_shows_each_env_as_its_deploy2env_step_delivers_it(tmp_path: Path) -> None:
    file = tmp_path / "app.yaml"
    file.write_text(APP + workflow("staging"))  # no target registered: the env's target is still named
    result = CliRunner().invoke(cli, ["dry-run", "-f", str(file)])
    assert result.exit_code == 0, result.output
    docs = [d for d in yaml.safe_load_all(result.stdout) if d and d["kind"] == "Deployment"]
    staged = [d for d in docs if d["metadata"]["namespace"] == "shop-staging"]
    assert [d["metadata"]["name"] for d in staged] == ["api"]
    assert staged[0]["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/api:2"


def test_the_targets_an_application_uses_count_every_envs_targets(h: Harness) -> None:
    """Projects allow an application only the targets it uses: an env's must be among them."""
    assert targets_used(h.controller, h.app(APP), h.registry) == ("eu-1", "stage")
