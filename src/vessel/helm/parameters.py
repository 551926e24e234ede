"""The `helmchart` parameters: KubeVela's current shape, and the older one, told apart by `chart`.

KubeVela's built-in `helmchart` ("Deploy Helm charts natively in KubeVela without FluxCD") takes
`chart: {source, repoURL, version, auth}`, `release`, `values`, `valuesFrom`, `healthStatus` and
`options`. Its FluxCD addon — the shape Vessel read first — takes `chart` as a string beside `repoType`,
`url`, `version`, `targetNamespace`, `releaseName`… Both are accepted, by one definition: the type of
`chart` says which shape a component is written in (an object: the native shape; a string: the older
one), and the component is then checked against that shape alone, so a mistake is reported against the
shape the user meant ("chart.sourc: unknown field (did you mean `source`?)", "release: unknown field")
rather than as "matches neither alternative".

`schema` (what `vessel def show -o json` and forms read) is the two shapes as a `oneOf`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vessel.definitions.parameters import Field, Parameters, Unknown
from vessel.errors import Location, MultipleErrors, ValidationError, VesselError
from vessel.model.schema_check import Locate, show

_DURATION = r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$"
_TTL = r"^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$"  # Go durations, and "0" (no caching)
_TTL_EXPECTED = "a duration like 30s, 5m or 24h, or 0 (do not cache)"

LEGACY: dict[str, Any] = {
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

_UNUSED = "Accepted for KubeVela compatibility; Vessel keeps no Helm release, so it has no effect"


def _flag(default: bool, description: str) -> dict[str, Any]:
    return {"type": "boolean", "default": default, "description": description}


def _ttl(description: str, default: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"type": "string", "pattern": _TTL, "x-expected": _TTL_EXPECTED}
    return {**found, "description": description, **({"default": default} if default else {})}


_CHART: dict[str, Any] = {
    "type": "object",
    "required": ["source"],
    "description": "Where the chart comes from",
    "properties": {
        "source": {
            "type": "string",
            "minLength": 1,
            "description": "The chart's name in the repository at repoURL; an OCI reference "
            "(oci://registry.example.com/charts/app); or the URL of a chart archive (https://…/app-1.0.0.tgz)",
        },
        "repoURL": {
            "type": "string",
            "description": "The chart repository (the folder holding index.yaml), for a chart named by "
            "source",
        },
        "version": {
            "type": "string",
            "description": "A version or semver constraint (^1.2); latest (the default) is the newest "
            "stable (not used with an archive URL)",
        },
        "auth": {
            "type": "object",
            "description": "Credentials for a private repository: not supported yet (docs/helm.md)",
            "properties": {
                "secretRef": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}},
                }
            },
        },
    },
}

_VALUES_FROM: dict[str, Any] = {
    "type": "array",
    "description": "ConfigMaps and Secrets of the cluster whose YAML (under key) is merged into the values, "
    "in order, before the inline values (Kubernetes targets only)",
    "items": {
        "type": "object",
        "required": ["kind", "name"],
        "properties": {
            "kind": {"type": "string", "enum": ["Secret", "ConfigMap"]},
            "name": {"type": "string", "minLength": 1},
            "namespace": {
                "type": "string",
                "description": "Default: the release namespace; only it or the application's is allowed",
            },
            "key": {"type": "string", "default": "values.yaml", "description": "The key under data"},
            "optional": _flag(False, "A missing object or key is skipped rather than an error"),
        },
    },
}

_HEALTH_STATUS: dict[str, Any] = {
    "type": "array",
    "description": "When given, the component is healthy only when every criterion holds",
    "items": {
        "type": "object",
        "required": ["resource", "condition"],
        "properties": {
            "resource": {
                "type": "object",
                "required": ["kind"],
                "properties": {
                    "kind": {"type": "string", "minLength": 1},
                    "name": {"type": "string", "description": "Default: the first object of the kind"},
                },
            },
            "condition": {
                "type": "object",
                "required": ["type"],
                "properties": {
                    "type": {"type": "string", "minLength": 1, "description": "A status.conditions type"},
                    "status": {"type": "string", "enum": ["True", "False"], "default": "True"},
                },
            },
        },
    },
}

_OPTIONS: dict[str, Any] = {
    "type": "object",
    "default": {},
    "description": "How the chart is rendered",
    "properties": {
        "includeCRDs": _flag(True, "Deliver the chart's crds/ too"),
        "skipTests": _flag(True, "Leave out the chart's test hooks"),
        "skipHooks": _flag(False, "Leave out every hook (else hooks are delivered as ordinary objects)"),
        "createNamespace": _flag(
            True, "Create the release namespace when missing (false: it must exist on the target)"
        ),
        "timeout": {"type": "string", "default": "5m", "description": _UNUSED},
        "maxHistory": {"type": "integer", "default": 10, "description": _UNUSED},
        "atomic": _flag(False, _UNUSED),
        "wait": _flag(False, _UNUSED),
        "force": _flag(False, _UNUSED),
        "recreatePods": _flag(False, _UNUSED),
        "cleanupOnFail": _flag(False, _UNUSED),
        "cache": {
            "type": "object",
            "default": {},
            "description": "How long a fetched and rendered chart is reused",
            "properties": {
                "key": {
                    "type": "string",
                    "description": "Accepted; Vessel's cache is keyed by what it renders",
                },
                "ttl": _ttl("For every version (overrides the two below)"),
                "immutableTTL": _ttl("For an exact version (1.2.3)", "24h"),
                "mutableTTL": _ttl("For latest, a constraint or a pre-release", "5m"),
            },
        },
    },
}

NATIVE: dict[str, Any] = {
    "type": "object",
    "required": ["chart"],
    "properties": {
        "chart": _CHART,
        "release": {
            "type": "object",
            "default": {},
            "description": "The Helm release the chart is rendered as",
            "properties": {
                "name": {"type": "string", "description": "Default: the component's name"},
                "namespace": {"type": "string", "description": "Default: the application's namespace"},
            },
        },
        "values": {"type": "object", "default": {}, "description": "Values, over everything in valuesFrom"},
        "valuesFrom": _VALUES_FROM,
        "healthStatus": _HEALTH_STATUS,
        "options": _OPTIONS,
    },
}


# A field of one shape written beside the other shape's `chart`: what to write instead.
_IN_NATIVE = {
    "repoType": "chart.source (a chart name with chart.repoURL, an oci:// reference or an archive URL)",
    "url": "chart.repoURL",
    "version": "chart.version",
    "targetNamespace": "release.namespace",
    "releaseName": "release.name",
    "pullInterval": "options.cache.ttl",
}
_IN_LEGACY = {
    "release": "releaseName and targetNamespace",
    "valuesFrom": "chart as an object (KubeVela's native shape)",
    "healthStatus": "chart as an object (KubeVela's native shape)",
    "options": "chart as an object (KubeVela's native shape)",
}


def is_native(parameter: Mapping[str, Any]) -> bool:
    """Whether resolved (or raw) properties are in KubeVela's native shape."""
    return isinstance(parameter.get("chart"), Mapping)


class ChartParameters(Parameters):
    """Both shapes; each component is checked against the one its `chart` says it is written in."""

    def __init__(self, where: Location):
        self.native = Parameters(NATIVE, where)
        self.legacy = Parameters(LEGACY, where)
        super().__init__({"oneOf": [NATIVE, LEGACY]}, where)

    def shape(self, properties: Mapping[str, Any]) -> Parameters:
        return self.legacy if isinstance(properties.get("chart"), str) else self.native

    def resolve(
        self, properties: Mapping[str, Any], locate: Locate, *, drop_unknown: bool = False
    ) -> dict[str, Any]:
        chart = properties.get("chart")
        if chart is not None and not isinstance(chart, Mapping | str):
            raise ValidationError(
                f"expected an object (chart: {{source, repoURL, version}}) or a string (the older shape: "
                f"the chart's name beside repoType and url), got {show(chart)}",
                locate(("chart",)),
            )
        if not drop_unknown:
            _check_mixed(properties, locate)
        return self.shape(properties).resolve(properties, locate, drop_unknown=drop_unknown)

    def missing_required(self, properties: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], Any]]:
        return self.shape(properties).missing_required(properties)

    def unknown(self, properties: Mapping[str, Any]) -> list[Unknown]:
        return self.shape(properties).unknown(properties)

    def fields(self) -> list[Field]:
        older = [
            Field(f.name, f.type, f.required, f.default, f"(older shape) {f.description}")
            for f in self.legacy.fields()
            if f.name not in ("chart", "values")
        ]
        chart = next(f for f in self.legacy.fields() if f.name == "chart")
        older.insert(0, Field("chart", "string", True, None, f"(older shape) {chart.description}"))
        return self.native.fields() + older


def _check_mixed(properties: Mapping[str, Any], locate: Locate) -> None:
    """Fields of the other shape are refused with what this shape calls them."""
    native = not isinstance(properties.get("chart"), str)
    other, this = (_IN_NATIVE, "an object") if native else (_IN_LEGACY, "a string")
    problems: list[VesselError] = [
        ValidationError(
            f"unknown field: with chart as {this}, {key} belongs to the other helmchart shape; use {instead}",
            locate((key,)),
        )
        for key, instead in other.items()
        if key in properties
    ]
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise MultipleErrors(problems)
