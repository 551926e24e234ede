"""The `helmchart` ComponentDefinition, registered through the `vessel.definitions` entry point.

Its parameters come in two shapes (`parameters.py`): KubeVela's current built-in (`chart: {source,
repoURL, version}`, `release`, `values`, `valuesFrom`, `healthStatus`, `options`; `native.py`) and the
older FluxCD-addon shape (`repoType`, `url`, `chart` as a string, `targetNamespace`, `releaseName`…), which
existing Applications keep using. `repoType: path` is Vessel's own: a chart directory or `.tgz` on this
machine. docs/helm.md says what each property does and what Vessel does not offer.

A helmchart component renders by fetching — I/O, unlike every other template — so its objects are cached
per (source, version constraint, values, release, namespace, filters) for `pullInterval` (older shape) or
`options.cache`'s TTLs (native shape): the delivery and the health checks that follow re-render without
asking the repository each time. Rendering happens in a capped child (`sandbox.py`); nothing of the helm
extra is imported in this process. A native component's `valuesFrom` is the one thing read from the
target (`definitions.target_reads`): the template is a `ReadingTemplate`.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import time
from collections.abc import Mapping
from typing import Any

from vessel.definitions.definition import Definition, Kind, Workload
from vessel.definitions.limits import DEFAULT_LIMITS, MIB, RenderLimits
from vessel.definitions.loader import digest
from vessel.definitions.lru import BoundedCache
from vessel.definitions.target_reads import TargetReads
from vessel.errors import ChartError, ChartRepositoryUnavailableError, Location
from vessel.helm.health import ChartHealth
from vessel.helm.limits import DEFAULT_CHART_LIMITS, ChartLimits
from vessel.helm.manifests import chart_objects, component_result
from vessel.helm.native import Release, annotated, native_request, release_config_map, reuse_seconds
from vessel.helm.parameters import LEGACY, NATIVE, ChartParameters, is_native
from vessel.helm.request import ChartRequest, RenderedChart
from vessel.helm.sandbox import HERE, render_chart
from vessel.model.duration import parse_duration

NAME = "helmchart"
EXTRA_MODULES = ("helm_python", "nodesemver")
ENABLE = "install the helm extra: pip install 'vessel[helm]'"
DESCRIPTION = "Renders a Helm chart (HTTP or OCI chart repository, or a path) with values into its objects"
_Objects = tuple[list[dict[str, Any]], RenderedChart]  # a chart's objects, and which chart (files left out)


def extra_installed() -> bool:
    return all(importlib.util.find_spec(module) is not None for module in EXTRA_MODULES)


class HelmTemplate:
    """Renders a helmchart component: fetch and render in a capped child, then objects as a result."""

    def __init__(self, limits: ChartLimits = DEFAULT_CHART_LIMITS):
        self.limits = limits
        self.cache: BoundedCache[tuple[float, _Objects]] = BoundedCache(256, 64 * MIB)

    def render(self, variables: Mapping[str, Any], limits: RenderLimits = DEFAULT_LIMITS) -> dict[str, Any]:
        return self.render_reading(variables, limits, None)

    def render_reading(
        self, variables: Mapping[str, Any], limits: RenderLimits, reads: TargetReads | None
    ) -> dict[str, Any]:
        if not extra_installed():
            raise ChartError("helmchart components need the helm extra, which is not installed", HERE, ENABLE)
        parameter, context = variables["parameter"], variables["context"]
        try:
            if is_native(parameter):
                return self._native(parameter, context, reads)
            return self._legacy(parameter, context)
        except ChartRepositoryUnavailableError as exc:  # not a RenderError: say which component it is
            raise ChartRepositoryUnavailableError(
                f"component {context['name']!r}: {exc.message}",
                None,
                exc.hint,
                give_up_after=exc.give_up_after,
            ) from None

    def request(self, parameter: Mapping[str, Any], context: Mapping[str, Any]) -> ChartRequest:
        """The older shape's request."""
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

    def _legacy(self, parameter: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
        request = self.request(parameter, context)
        reuse = parse_duration(parameter["pullInterval"])
        objects, chart = self._objects(request, reuse, parameter.get("targetNamespace"), True, False)
        return component_result(objects, chart)

    def _native(
        self, parameter: Mapping[str, Any], context: Mapping[str, Any], reads: TargetReads | None
    ) -> dict[str, Any]:
        request = native_request(parameter, context, reads, self.limits)
        release, options = Release.of(parameter, context), parameter["options"]
        skip = (bool(options["skipTests"]), bool(options["skipHooks"]))
        objects, chart = self._objects(request, reuse_seconds(parameter), release.namespace, *skip)
        objects = [annotated(body, release) for body in objects]
        objects.append(release_config_map(parameter, context, release, len(objects)))
        return component_result(objects, chart)

    def _objects(
        self, request: ChartRequest, reuse: float, namespace: str | None, skip_tests: bool, skip_hooks: bool
    ) -> _Objects:
        """The chart's objects, fetched, rendered and parsed at most once per `reuse` seconds (a copy:
        what the caller patches must not change what the next render returns)."""
        key = json.dumps([request.cache_key(), namespace, skip_tests, skip_hooks], separators=(",", ":"))
        found = self.cache.get(key)
        if found is None or time.monotonic() - found[0] >= reuse:
            chart = render_chart(request)
            objects = chart_objects(
                chart, namespace, self.limits.objects, skip_tests=skip_tests, skip_hooks=skip_hooks
            )
            found = (time.monotonic(), (objects, RenderedChart(chart.name, chart.version, ())))
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
        parameters=ChartParameters(Location(origin)),
        templates={"kubernetes": HelmTemplate(limits)},
        description=description,
        workload=Workload(type="autodetects.core.oam.dev"),
        status=ChartHealth(NAME),
        origin=origin,
        digest=digest(
            {"kind": Kind.COMPONENT.value, "name": NAME, "origin": origin, "parameters": [NATIVE, LEGACY]}
        ),
    )


def definitions() -> list[Definition]:
    """What the `vessel.definitions` entry point provides."""
    return [helmchart_definition()]
