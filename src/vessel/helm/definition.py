"""The `helmchart` ComponentDefinition, registered through the `vessel.definitions` entry point.

Its parameters follow KubeVela's `helmchart` (`repoType`, `url`, `chart`, `version`, `values`,
`targetNamespace`, `releaseName`, …) so existing Applications read unchanged where Vessel can honour them.
`repoType: path` is Vessel's own: a chart directory or `.tgz` on this machine. KubeVela's `git` and `oss`
sources, `secretRef`, `valuesFrom` and release settings are not offered (docs/helm.md: what instead). The
Flux timing knobs (`pullInterval`, `interval`, `installTimeout`) are accepted so KubeVela files still load;
`pullInterval` is how long a fetched chart is reused before the repository is asked again.

A helmchart component renders by fetching — I/O, unlike every other template — so its result is cached
per (source, version constraint, values, release, namespace) for `pullInterval`: the delivery and the
health checks that follow re-render without asking the repository each time. Rendering happens in a capped
child (`sandbox.py`); nothing of the helm extra is imported in this process.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import time
from collections.abc import Mapping
from typing import Any

from vessel.definitions.definition import Definition, Kind, Workload
from vessel.definitions.limits import DEFAULT_LIMITS, MIB, RenderLimits
from vessel.definitions.loader import digest
from vessel.definitions.lru import BoundedCache
from vessel.definitions.parameters import Parameters
from vessel.errors import ChartError, ChartRepositoryUnavailableError, Location
from vessel.helm.health import ChartHealth
from vessel.helm.limits import DEFAULT_CHART_LIMITS, ChartLimits
from vessel.helm.manifests import chart_objects, component_result
from vessel.helm.request import ChartRequest
from vessel.helm.sandbox import HERE, render_chart
from vessel.model.duration import parse_duration

NAME = "helmchart"
EXTRA_MODULES = ("helm_python", "nodesemver")
ENABLE = "install the helm extra: pip install 'vessel[helm]'"
DESCRIPTION = "Renders a Helm chart (HTTP or OCI chart repository, or a path) with values into its objects"
_DURATION = r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$"

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "required": ["chart"],
    "properties": {
        "repoType": {
            "type": "string",
            "enum": ["helm", "oci", "path"],
            "default": "helm",
            "description": "helm: an HTTP chart repository (index.yaml); oci: an OCI registry; path: a chart "
            "directory or .tgz on this machine (KubeVela's git and oss are not supported)",
        },
        "url": {
            "type": "string",
            "description": "The repository: https://charts.example.com, or oci://registry.example.com/charts "
            "(not used with repoType path)",
        },
        "chart": {
            "type": "string",
            "minLength": 1,
            "description": "The chart's name in the repository; with repoType path, its directory or .tgz "
            "(relative paths are read from Vessel's working directory)",
        },
        "version": {
            "type": "string",
            "default": "*",
            "description": "A version or semver constraint (^1.2, >=1.0 <2, 1.2.x); * is the newest stable",
        },
        "values": {
            "type": "object",
            "default": {},
            "description": "Values for the chart, like helm --values",
        },
        "targetNamespace": {
            "type": "string",
            "description": "The namespace of the chart's objects (default: the application's)",
        },
        "releaseName": {
            "type": "string",
            "description": "The release name templates see (default: the component's)",
        },
        "pullInterval": {
            "type": "string",
            "pattern": _DURATION,
            "default": "5m",
            "description": "How long a fetched chart is reused before the repository is asked again",
        },
        "insecure": {
            "type": "boolean",
            "default": False,
            "description": "repoType oci: talk plain HTTP to a registry that has no TLS",
        },
        "interval": {"type": "string", "description": "Accepted for KubeVela compatibility; unused"},
        "installTimeout": {"type": "string", "description": "Accepted for KubeVela compatibility; unused"},
    },
}


def extra_installed() -> bool:
    return all(importlib.util.find_spec(module) is not None for module in EXTRA_MODULES)


class HelmTemplate:
    """Renders a helmchart component: fetch and render in a capped child, then objects as a result."""

    def __init__(self, limits: ChartLimits = DEFAULT_CHART_LIMITS):
        self.limits = limits
        self.cache: BoundedCache[tuple[float, dict[str, Any]]] = BoundedCache(256, 64 * MIB)

    def render(self, variables: Mapping[str, Any], limits: RenderLimits = DEFAULT_LIMITS) -> dict[str, Any]:
        if not extra_installed():
            raise ChartError("helmchart components need the helm extra, which is not installed", HERE, ENABLE)
        parameter, context = variables["parameter"], variables["context"]
        request = self.request(parameter, context)
        try:
            return self._result(request, parameter, parse_duration(parameter["pullInterval"]))
        except ChartRepositoryUnavailableError as exc:  # not a RenderError: say which component it is
            raise ChartRepositoryUnavailableError(
                f"component {context['name']!r}: {exc.message}",
                None,
                exc.hint,
                give_up_after=exc.give_up_after,
            ) from None

    def request(self, parameter: Mapping[str, Any], context: Mapping[str, Any]) -> ChartRequest:
        repo_type = parameter["repoType"]
        return ChartRequest(
            repo_type=repo_type,
            url=_url(parameter, repo_type),
            chart=_chart_path(parameter["chart"]) if repo_type == "path" else parameter["chart"],
            version=parameter["version"],
            values=dict(parameter["values"]),
            release=parameter.get("releaseName") or context["name"],
            namespace=parameter.get("targetNamespace") or context["namespace"],
            insecure=bool(parameter.get("insecure")),
            limits=self.limits,
        )

    def _result(self, request: ChartRequest, parameter: Mapping[str, Any], reuse: float) -> dict[str, Any]:
        """The component's result, fetched, rendered and parsed at most once per `reuse` seconds (a
        copy: what the caller patches must not change what the next render returns)."""
        key = request.cache_key()
        found = self.cache.get(key)
        if found is None or time.monotonic() - found[0] >= reuse:
            chart = render_chart(request)
            objects = chart_objects(chart, parameter.get("targetNamespace"), self.limits.objects)
            found = (time.monotonic(), component_result(objects, chart))
            self.cache.put(key, found, sum(len(text) for _, text in chart.files))
        return copy.deepcopy(found[1])


def _url(parameter: Mapping[str, Any], repo_type: str) -> str:
    url = str(parameter.get("url") or "")
    if repo_type == "path":
        return url
    schemes = ("oci://",) if repo_type == "oci" else ("http://", "https://")
    if not url.startswith(schemes):
        example = "oci://registry.example.com/charts" if repo_type == "oci" else "https://charts.example.com"
        raise ChartError(
            f"url: repoType {repo_type} needs a url starting with {' or '.join(schemes)}, got {url!r}",
            HERE,
            f"e.g. url: {example}",
        )
    return url


def _chart_path(chart: str) -> str:
    path = os.path.abspath(os.path.expanduser(chart))
    if not os.path.exists(path):
        raise ChartError(f"chart: there is no chart directory or archive at {path}", HERE)
    return path


def helmchart_definition(limits: ChartLimits = DEFAULT_CHART_LIMITS) -> Definition:
    """The `helmchart` component definition (rendering under `limits`)."""
    origin = "python vessel.helm.definition"
    description = DESCRIPTION if extra_installed() else f"{DESCRIPTION} (not enabled: {ENABLE})"
    return Definition(
        kind=Kind.COMPONENT,
        name=NAME,
        parameters=Parameters(PARAMETERS, Location(origin)),
        templates={"kubernetes": HelmTemplate(limits)},
        description=description,
        workload=Workload(type="autodetects.core.oam.dev"),
        status=ChartHealth(NAME),
        origin=origin,
        digest=digest(
            {"kind": Kind.COMPONENT.value, "name": NAME, "origin": origin, "parameters": PARAMETERS}
        ),
    )


def definitions() -> list[Definition]:
    """What the `vessel.definitions` entry point provides."""
    return [helmchart_definition()]
