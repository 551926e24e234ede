"""Helpers for the workflow-step tests: an Application as text, and what its latest run recorded."""

from __future__ import annotations

import json
from typing import Any

from vessel.controller.manifests import check_renders
from vessel.store.records import RunRecord, StepRecord
from vessel.testing.engine import Harness

WEB = {"name": "api", "type": "webservice", "properties": {"image": "shop/api:1"}}


def application(
    steps: list[dict[str, Any]] | None = None,
    *,
    name: str = "wf",
    namespace: str = "default",
    components: list[dict[str, Any]] | None = None,
    policies: list[dict[str, Any]] | None = None,
) -> str:
    """An Application as YAML text (JSON is YAML)."""
    spec: dict[str, Any] = {"components": [WEB] if components is None else components}
    if policies:
        spec["policies"] = policies
    if steps is not None:
        spec["workflow"] = {"steps": steps}
    meta = {"name": name, "namespace": namespace}
    head = {"apiVersion": "core.oam.dev/v1beta1", "kind": "Application", "metadata": meta}
    return json.dumps({**head, "spec": spec})


def step(name: str, type_: str, properties: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "properties": properties or {}, **extra}


def run_of(h: Harness, name: str = "wf", namespace: str = "default") -> RunRecord:
    run = h.store.latest_run(h.record(name, namespace).id)
    assert run is not None
    return run


def steps(h: Harness, name: str = "wf", namespace: str = "default") -> dict[str, StepRecord]:
    return h.store.steps(run_of(h, name, namespace).id)


def check_as_up_does(h: Harness, text: str) -> None:
    """What `vessel up` checks before it stores anything: types, step properties, renders."""
    check_renders(h.app(text), h.registry, h.controller.targets)
