"""An addon's `application.yaml`: an Application template rendered with the addon's parameters.

It is a Jinja2 template run in the same sandbox, with the same caps, as a definition's templates; the
parameters are data (`parameter.x`), never rendered as templates. The result is parsed as strictly as a
user's Application and delivered as `addon-NAME` (in namespace `vessel-system` unless it says
another) through the same path as `vessel up`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vessel.addons.package import APPLICATION_FILE, AddonPackage
from vessel.definitions.template import JinjaTemplate
from vessel.errors import Location, ValidationError
from vessel.model.application import Application
from vessel.model.parse import parse_application
from vessel.model.yaml_source import Document, SourceMap

NAMESPACE = "vessel-system"  # where addons' Applications live (KubeVela's are in vela-system)
TARGETS_POLICY = "addon-targets"  # the topology policy `addon enable --target` adds


def application_name(addon: str) -> str:
    return f"addon-{addon}"


def application_key(app: Application) -> str:
    """How the store's addon record names the Application it delivered: NAMESPACE/NAME."""
    return f"{app.namespace}/{app.name}"


def render_application(
    package: AddonPackage, parameters: dict[str, Any], targets: Sequence[str] = ()
) -> Application | None:
    """The addon's Application; with `targets`, placed on them by a topology policy `addon-targets`
    (an Application that places itself with its own topology policy cannot be placed as well)."""
    if package.application is None:
        return None
    origin = f"addon {package.label}: {APPLICATION_FILE}"
    name = application_name(package.name)
    template = JinjaTemplate(
        package.application.text, f"{package.label}/{APPLICATION_FILE}", Location(origin, 0)
    )
    context = {"addon": package.name, "version": package.version, "appName": name}
    data = template.render({"parameter": parameters, "context": context})
    meta = data.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise ValidationError("metadata must be a mapping", Location(origin, path="metadata"))
    if meta.setdefault("name", name) != name:
        raise ValidationError(
            f"an addon's Application is named {name!r}, not {meta['name']!r}",
            Location(origin, path="metadata.name"),
            hint="leave metadata.name out (or use {{ context.appName }})",
        )
    meta.setdefault("namespace", NAMESPACE)
    if targets:
        _place(data, list(targets), origin)
    return parse_application(Document(data, SourceMap(origin)))


def placed_on(spec: dict[str, Any]) -> list[str]:
    """The targets an addon's stored Application spec was placed on with `--target` (none: its own
    placement, or the default target)."""
    for policy in spec.get("spec", spec).get("policies") or ():
        if isinstance(policy, dict) and policy.get("name") == TARGETS_POLICY:
            return [str(c) for c in (policy.get("properties") or {}).get("clusters", ())]
    return []


def _place(data: dict[str, Any], targets: list[str], origin: str) -> None:
    spec = data.get("spec")
    policies = spec.setdefault("policies", []) if isinstance(spec, dict) else None
    if not isinstance(policies, list):
        raise ValidationError("spec.policies must be a list", Location(origin, path="spec.policies"))
    own = [p.get("name") for p in policies if isinstance(p, dict) and p.get("type") == "topology"]
    if own:
        raise ValidationError(
            f"the addon's Application places itself (topology policy {own[0]!r}): --target cannot place it",
            Location(origin, path="spec.policies"),
            hint="leave --target out, or set the addon's own parameters for placement",
        )
    policies.append({"name": TARGETS_POLICY, "type": "topology", "properties": {"clusters": targets}})
