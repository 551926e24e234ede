"""`generate-jdbc-connection`: a JDBC URL and credentials from a database's connection Secret.

KubeVela's step reads the Secret a database component wrote (`DB_HOST`, `DB_PORT`, `DB_NAME`, `DB_USER`,
`DB_PASSWORD`) and returns `env`: `[{name: url, value: jdbc://HOST:PORT/NAME?characterEncoding=utf8&
useSSL=false}, {name: username, …}, {name: password, …}]`, ready for a component's env through inputs.
Vessel reads it from the default target. A Secret not there yet is waited for with backoff (the
database component may still be creating it, as with `read-object`); one without a key fails the step
naming the keys missing. The Secret's values become known to redaction as it is read, so the password
never shows in a message; the output keeps it (a later step needs it), as step outputs do.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from vessel.errors import TransientError, ValidationError
from vessel.model.redaction import remember_object
from vessel.model.resource_key import ResourceKey
from vessel.workflow.delivery import Delivery
from vessel.workflow.step_api import Outcome, StepContext, StepFunction

KEYS = ("DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD")


def generate_jdbc_connection(ctx: StepContext) -> Outcome:
    delivery: Delivery = ctx.services
    key = ResourceKey(
        "v1", "Secret", ctx.properties.get("namespace") or ctx.app.namespace, ctx.properties["name"]
    )
    target = delivery.target_or_default(None)
    live = delivery.targets.get(target).get(key)
    if live is None:
        raise TransientError(f"generate-jdbc-connection: {key} does not exist (yet) on target {target!r}")
    remember_object(live)
    values = _decoded(live, key)
    missing = [k for k in KEYS if k not in values]
    if missing:
        raise ValidationError(f"generate-jdbc-connection: {key} has no {', '.join(missing)}")
    return Outcome.succeeded({"env": connection_env(values)}, message=f"connection from {key}")


def connection_env(v: Mapping[str, str]) -> list[dict[str, str]]:
    """KubeVela's `env` for the decoded Secret values."""
    url = f"jdbc://{v['DB_HOST']}:{v['DB_PORT']}/{v['DB_NAME']}?characterEncoding=utf8&useSSL=false"
    return [
        {"name": "url", "value": url},
        {"name": "username", "value": v["DB_USER"]},
        {"name": "password", "value": v["DB_PASSWORD"]},
    ]


def _decoded(secret: Mapping[str, Any], key: ResourceKey) -> dict[str, str]:
    found = {k: str(v) for k, v in (secret.get("stringData") or {}).items()}
    for name, value in (secret.get("data") or {}).items():
        try:
            found[name] = base64.b64decode(str(value), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise ValidationError(f"generate-jdbc-connection: {key} data.{name} is not base64 text") from None
    return found


STEPS: dict[str, StepFunction] = {"generate-jdbc-connection": generate_jdbc_connection}
