"""`create-config`, `read-config`, `list-config`, `delete-config`: KubeVela's config steps, on the store.

A config is a named set of values in a namespace (`store/configs.py`); these steps are how a workflow
makes and uses them, with KubeVela's parameters and outputs: `read-config` returns `config`,
`list-config` returns `configs` (each `{name, alias, description, config}`). `namespace` defaults to
the application's, as `context.namespace` does in KubeVela. A template written `NAMESPACE/NAME` is
known by its name (KubeVela labels configs with the template's name only).

Reading a config that does not exist fails the step at once, naming it: a config is made on purpose
(by a `create-config` step or an earlier run), so waiting for one would only hide a typo. `delete-config`
of a missing config fails as KubeVela's does, except when an earlier attempt of the same step may have
deleted it already (the step runs at least once: a crash after the delete must not fail the re-run).
"""

from __future__ import annotations

from typing import Any

from vessel.errors import NotFoundError
from vessel.store.configs import ConfigRecord, Configs
from vessel.workflow.delivery import Delivery
from vessel.workflow.step_api import Outcome, StepContext, StepFunction


def _where(ctx: StepContext) -> tuple[Configs, str]:
    delivery: Delivery = ctx.services
    return Configs(delivery.store), ctx.properties.get("namespace") or ctx.app.namespace


def _template_name(template: str) -> str:
    return template.split("/", 1)[-1]


def create_config(ctx: StepContext) -> Outcome:
    configs, namespace = _where(ctx)
    name = ctx.properties["name"]
    template = _template_name(ctx.properties.get("template") or "")
    created = configs.put(namespace, name, template, dict(ctx.properties["config"]), ctx.now)
    return Outcome.succeeded(message=f"config {namespace}/{name} {'created' if created else 'updated'}")


def read_config(ctx: StepContext) -> Outcome:
    configs, namespace = _where(ctx)
    record = configs.get(namespace, ctx.properties["name"])
    if record is None:
        raise _missing(configs, namespace, ctx.properties["name"])
    return Outcome.succeeded({"config": record.config})


def list_config(ctx: StepContext) -> Outcome:
    configs, namespace = _where(ctx)
    template = _template_name(ctx.properties["template"])
    found = [_listed(r) for r in configs.list(namespace, template)]
    return Outcome.succeeded({"configs": found}, message=f"{len(found)} config(s) of template {template}")


def delete_config(ctx: StepContext) -> Outcome:
    configs, namespace = _where(ctx)
    name = ctx.properties["name"]
    if configs.delete(namespace, name):
        return Outcome.succeeded(message=f"config {namespace}/{name} deleted")
    if ctx.attempt > 1:  # an earlier attempt of this step may have deleted it before it could record so
        return Outcome.succeeded(message=f"config {namespace}/{name} is gone (deleted by an earlier attempt)")
    raise _missing(configs, namespace, name)


def _missing(configs: Configs, namespace: str, name: str) -> NotFoundError:
    known = ", ".join(r.name for r in configs.list(namespace)) or "none"
    return NotFoundError(
        f"config {namespace}/{name} does not exist",
        hint=f"configs in namespace {namespace}: {known}; create it with a create-config step",
    )


def _listed(record: ConfigRecord) -> dict[str, Any]:
    return {"name": record.name, "alias": "", "description": "", "config": record.config}


STEPS: dict[str, StepFunction] = {
    "create-config": create_config,
    "read-config": read_config,
    "list-config": list_config,
    "delete-config": delete_config,
}
