"""Applications the read-path tests deliver and then read two ways (the Store and `SqliteReads`, a
Controller and a `StatusReader`): one whose delivery fails and one suspended after its first step."""

from __future__ import annotations

from vessel.model.resource_key import ResourceKey
from vessel.testing.engine import Harness

FAILING = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: broken, namespace: team}
spec:
  components:
    - {name: bad, type: webservice, properties: {image: "bad:1"}}
"""
SUSPENDED = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: gated}
spec:
  components:
    - {name: web, type: webservice, properties: {image: "web:1", ports: [{port: 8080, expose: true}]}}
    - {name: worker, type: worker, properties: {image: "worker:1"}}
  workflow:
    steps:
      - {name: web, type: apply-component, properties: {component: web}}
      - {name: approve, type: suspend}
      - {name: worker, type: apply-component, properties: {component: worker}}
"""


def up_failing(harness: Harness) -> None:
    """Deliver FAILING, whose Deployment the memory target refuses: team/broken ends workflowFailed."""
    harness.targets["mem"].reject[ResourceKey("apps/v1", "Deployment", "team", "bad")] = "refused: quota"
    harness.up(FAILING)
