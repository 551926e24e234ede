"""An override policy applies when the Application has no topology policy and no workflow, as KubeVela
applies it (its default workflow is then one `deploy` step with every override policy), instead of being
silently ignored: KubeVela's own example renders 3 replicas, and so does Vessel — in dry-run and when
delivered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vessel.cli.dry_run import render_files
from vessel.model.resource_key import ResourceKey
from vessel.testing.engine import Harness

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: scaled}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: nginx}
  policies:
    - name: three
      type: override
      properties:
        components:
          - name: web
            traits:
              - type: scaler
                properties: {replicas: 3}
"""
WEB = ResourceKey("apps/v1", "Deployment", "default", "web")


def test_dry_run_renders_the_override_without_a_topology(tmp_path: Path) -> None:
    file = tmp_path / "app.yaml"
    file.write_text(APP)
    [(heading, deployment)] = [
        (s, r) for s, r in render_files([file]).manifests if r.body["kind"] == "Deployment"
    ]
    assert deployment.body["spec"]["replicas"] == 3
    assert heading == "scaled only with override policies"


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def test_delivery_applies_the_override_without_a_topology(h: Harness) -> None:
    h.up(APP)
    assert h.targets["mem"].objects[WEB]["spec"]["replicas"] == 3
