"""A `helmchart` component in KubeVela's native shape: where the chart comes from, as what release, and
the release ConfigMap KubeVela renders beside the chart's objects.

`chart.source` is read as KubeVela's provider reads it: `oci://…` is an OCI reference (the chart is its
last segment); a URL (`http(s)://…`, or anything ending in `.tgz`) is a chart archive, downloaded as is
(`version` unused); anything else is a chart's name in the repository at `chart.repoURL` (an HTTP
repository, or an OCI one when `repoURL` starts with `oci://`). `version: latest` is the newest stable
version; any other version is a version or constraint, as in the older shape. An OCI registry on this
machine (`localhost`, a loopback address) is spoken to over plain HTTP, as Docker does.

KubeVela's component `output` is a ConfigMap `<release>-helm-release` in the release namespace that
records the release (chart source, release name and namespace, repository, version, how many objects),
so a KubeVela user's tooling that looks for it finds it; Vessel renders it too, as one of the component's
objects. The chart's objects carry KubeVela's annotations (`meta.helm.sh/release-name`,
`meta.helm.sh/release-namespace`, `app.oam.dev/owner: helm-provider`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from vessel.definitions.target_reads import TargetReads
from vessel.errors import ChartError
from vessel.helm.limits import ChartLimits
from vessel.helm.request import ChartRequest
from vessel.helm.sandbox import HERE
from vessel.helm.values_from import chart_values
from vessel.model.duration import parse_duration
from vessel.model.resource_key import ResourceKey

LATEST = "latest"
_LABEL_VALUE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
_EXACT = re.compile(r"^v?[0-9]+(\.[0-9]+){0,2}(\+[0-9A-Za-z.-]+)?$")  # no pre-release: those can move
_MUTABLE_WORDS = ("latest", "dev", "develop", "main", "master", "edge", "canary", "nightly")


@dataclass(frozen=True)
class Release:
    name: str
    namespace: str

    @classmethod
    def of(cls, parameter: Mapping[str, Any], context: Mapping[str, Any]) -> Release:
        given = parameter.get("release") or {}
        return cls(
            given.get("name") or str(context["name"]), given.get("namespace") or str(context["namespace"])
        )


def native_request(
    parameter: Mapping[str, Any],
    context: Mapping[str, Any],
    reads: TargetReads | None,
    limits: ChartLimits,
) -> ChartRequest:
    """What to fetch and render, the values merged (reading `valuesFrom` through `reads`)."""
    chart, release = parameter["chart"], Release.of(parameter, context)
    if chart.get("auth"):
        raise ChartError(
            "chart.auth: credentials for private chart repositories are not supported yet",
            HERE,
            "serve the chart from a repository that needs no credentials (docs/helm.md)",
        )
    _check_namespace(parameter, release, reads)
    repo_type, url, name, version = _source(chart)
    return ChartRequest(
        repo_type=repo_type,
        url=url,
        chart=name,
        version=version,
        values=chart_values(parameter, release.namespace, str(context["namespace"]), reads),
        release=release.name,
        namespace=release.namespace,
        insecure=repo_type == "oci" and _loopback(url),
        include_crds=bool(parameter["options"]["includeCRDs"]),
        limits=limits,
    )


def _source(chart: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """(repo type, url, chart name, version) of `chart`."""
    source, version = str(chart["source"]), str(chart.get("version") or LATEST)
    repo_url = str(chart.get("repoURL") or "")
    if source.startswith("oci://"):
        parent, _, name = source.rstrip("/").rpartition("/")
        return "oci", parent, name, "" if version == LATEST else version
    if source.startswith(("http://", "https://")) or source.endswith((".tgz", ".tar.gz")):
        if not source.startswith(("http://", "https://")):
            raise ChartError(
                f"chart.source: a chart archive needs an http:// or https:// URL, got {source!r}", HERE
            )
        return "url", source, source, ""
    if repo_url.startswith("oci://"):
        return "oci", repo_url.rstrip("/"), source, "" if version == LATEST else version
    if not repo_url.startswith(("http://", "https://")):
        raise ChartError(
            f"chart.repoURL: chart.source {source!r} names a chart, so repoURL must be its repository "
            f"(http://, https:// or oci://), got {repo_url!r}",
            HERE,
            "e.g. repoURL: https://charts.example.com, or give source as oci://… or an archive URL",
        )
    return "helm", repo_url, source, "*" if version == LATEST else version


def _loopback(url: str) -> bool:
    """A registry on this machine: spoken to over plain HTTP, as Docker treats `localhost` registries
    (KubeVela's `insecurePlainHTTP` lives in an auth Secret, which Vessel does not read yet)."""
    host = (urlsplit(url.replace("oci://", "http://", 1)).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_namespace(parameter: Mapping[str, Any], release: Release, reads: TargetReads | None) -> None:
    """`createNamespace: false`: the release namespace must already exist on the target's cluster."""
    if parameter["options"]["createNamespace"] or reads is None or reads.reader is None or reads.lenient:
        return
    if reads.reader.get(ResourceKey("v1", "Namespace", "", release.namespace)) is None:
        raise ChartError(
            f"options.createNamespace is false and namespace {release.namespace!r} does not exist on target "
            f"{reads.target!r}",
            HERE,
            "create the namespace first, or set options.createNamespace: true",
        )


def reuse_seconds(parameter: Mapping[str, Any]) -> float:
    """How long a rendered chart is reused: `options.cache` (`ttl`, else by whether the version can move)."""
    cache, chart = parameter["options"]["cache"], parameter["chart"]
    ttl = cache.get("ttl")
    if ttl is None:
        ttl = (
            cache["mutableTTL"] if is_mutable(str(chart.get("version") or LATEST)) else cache["immutableTTL"]
        )
    return 0.0 if ttl == "0" else parse_duration(ttl)


def is_mutable(version: str) -> bool:
    """Whether what `version` names can change: `latest`, a constraint, a pre-release, a branch name."""
    return version.lower() in _MUTABLE_WORDS or not _EXACT.match(version.strip())


def annotated(body: dict[str, Any], release: Release) -> dict[str, Any]:
    """A chart object with the annotations KubeVela's helm provider puts on it."""
    meta = dict(body.get("metadata") or {})
    meta["annotations"] = {
        **(meta.get("annotations") or {}),
        "app.oam.dev/owner": "helm-provider",
        "meta.helm.sh/release-name": release.name,
        "meta.helm.sh/release-namespace": release.namespace,
    }
    return {**body, "metadata": meta}


def release_config_map(
    parameter: Mapping[str, Any], context: Mapping[str, Any], release: Release, count: int
) -> dict[str, Any]:
    """KubeVela's `output`: the ConfigMap recording the release."""
    chart = parameter["chart"]
    source = str(chart["source"])
    labels = {
        "app.oam.dev/name": str(context["appName"]),
        "app.oam.dev/namespace": str(context["namespace"]),
        "app.oam.dev/component": str(context["name"]),
    }
    if _LABEL_VALUE.match(source):
        labels["helm.oam.dev/chart"] = source
    data = {"chartSource": source, "releaseName": release.name, "releaseNamespace": release.namespace}
    if chart.get("repoURL"):
        data["repoURL"] = str(chart["repoURL"])
    if chart.get("version"):  # as KubeVela: only when given (its default is not written out)
        data["chartVersion"] = str(chart["version"])
    data["resourceCount"] = str(count)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"{release.name}-helm-release",
            "namespace": release.namespace,
            "labels": labels,
            "annotations": {"helm.oam.dev/chart": source},
        },
        "data": data,
    }
