"""Which env of which `envbinding` policy a `deploy2env` step delivers (KubeVela's deprecated pair).

`policy` names an envbinding policy, or, empty, means the first one the Application declares; `env`
names one of its `envs`. Both are checked when the Application is submitted (`definitions/check.py`),
so a typo is one error naming the field, never a run that fails later.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from vessel.errors import ValidationError
from vessel.model.application import Application, Step

ENVBINDING = "envbinding"
DEPLOY2ENV = "deploy2env"


def env_of(app: Application, step: Step, properties: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """The env `step` (a deploy2env step) delivers, from its envbinding policy; `properties` are the
    step's with its inputs filled in (else those written in the file)."""
    properties = step.properties if properties is None else properties
    bindings = [p for p in app.policies if p.type == ENVBINDING]
    wanted = str(properties.get("policy") or "")
    chosen = next((p for p in bindings if p.name == wanted), None) if wanted else next(iter(bindings), None)
    if chosen is None:
        named = f" named {wanted!r}" if wanted else ""
        raise ValidationError(
            f"deploy2env: no envbinding policy{named}",
            app.where((*step.path, "properties", "policy") if wanted else (*step.path, "type")),
            hint=f"envbinding policies: {', '.join(p.name for p in bindings) or 'none'}",
        )
    env = str(properties.get("env") or "")
    envs: dict[Any, Mapping[str, Any]] = {e.get("name"): e for e in chosen.properties.get("envs", ())}
    if env not in envs:
        raise ValidationError(
            f"deploy2env: envbinding policy {chosen.name!r} has no env named {env!r}",
            app.where((*step.path, "properties", "env")),
            hint=f"envs: {', '.join(str(n) for n in envs) or 'none'}",
        )
    return envs[env]


def deploy2env_steps(app: Application) -> Iterator[Step]:
    steps = app.workflow.steps if app.workflow else ()
    for step in steps:
        yield from (s for s in (step, *step.sub_steps) if s.type == DEPLOY2ENV)
