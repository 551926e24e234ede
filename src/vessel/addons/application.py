"""An addon's `application.yaml`: an Application template rendered with the addon's parameters.

It is a Jinja2 template run in the same sandbox, with the same caps, as a definition's templates; the
parameters are data (`parameter.x`), never rendered as templates. The result is parsed as strictly as a
user's Application and delivered as `addon-NAME` (in namespace `vessel-system` unless it says
another) through the same path as `vessel up`.
"""

from __future__ import annotations

from typing import Any

from vessel.addons.package import APPLICATION_FILE, AddonPackage
from vessel.definitions.template import JinjaTemplate
from vessel.errors import Location, ValidationError
from vessel.model.application import Application
from vessel.model.parse import parse_application
from vessel.model.yaml_source import Document, SourceMap

NAMESPACE = "vessel-system"  # where addons' Applications live (KubeVela's are in vela-system)


def application_name(addon: str) -> str:
    return f"addon-{addon}"


def application_key(app: Application) -> str:
    """How the store's addon record names the Application it delivered: NAMESPACE/NAME."""
    return f"{app.namespace}/{app.name}"


def render_application(package: AddonPackage, parameters: dict[str, Any]) -> Application | None:
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
    return parse_application(Document(data, SourceMap(origin)))
