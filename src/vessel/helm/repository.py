"""Getting a chart archive from an HTTP chart repository: its `index.yaml`, a version, the `.tgz`.

Runs in the chart renderer (a capped child process): the index is untrusted YAML of any size up to its cap.
The archive must come from the repository's own origin (`fetch.within`), and when the index gives a
`digest` the archive must match it — a repository whose index and archives disagree is refused rather than
rendered.
"""

from __future__ import annotations

import hashlib
from typing import Any

import yaml

from vessel.helm.fetch import download, within
from vessel.helm.limits import ChartLimits
from vessel.helm.request import CHART, ChartFailure
from vessel.helm.versions import choose

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def fetch_archive(url: str, chart: str, constraint: str, limits: ChartLimits) -> tuple[bytes, str]:
    """The archive of the newest version of `chart` in the repository at `url` matching `constraint`."""
    base = url.rstrip("/") + "/"
    index_url = within(base, "index.yaml")
    index = _parse_index(download(index_url, base, limits.index_bytes, limits.network_seconds, "index"), url)
    entries = _entries(index, chart, url)
    version = choose((str(e.get("version", "")) for e in entries), constraint, chart)
    entry = next(e for e in entries if str(e.get("version", "")) == version)
    archive_url = within(base, _first_url(entry, chart, version))
    archive = download(archive_url, base, limits.archive_bytes, limits.network_seconds, "chart archive")
    _check_digest(archive, entry, archive_url)
    return archive, version


def _parse_index(body: bytes, url: str) -> dict[str, Any]:
    try:
        index = yaml.load(body, Loader=_Loader)  # a safe loader (C or Python)
    except yaml.YAMLError as exc:
        raise ChartFailure(CHART, f"the index.yaml of {url} is not valid YAML: {exc}") from None
    if not isinstance(index, dict) or not isinstance(index.get("entries"), dict):
        raise ChartFailure(CHART, f"{url} has no chart repository index (index.yaml without `entries`)")
    return index


def _entries(index: dict[str, Any], chart: str, url: str) -> list[dict[str, Any]]:
    entries = index["entries"].get(chart)
    if not isinstance(entries, list) or not entries:
        names = sorted(str(name) for name in index["entries"])
        have = ", ".join(names[:20]) + (", …" if len(names) > 20 else "") if names else "none"
        raise ChartFailure(CHART, f"chart: the repository {url} has no chart {chart!r} (it has: {have})")
    return [e for e in entries if isinstance(e, dict)]


def _first_url(entry: dict[str, Any], chart: str, version: str) -> str:
    urls = entry.get("urls")
    if not isinstance(urls, list) or not urls or not isinstance(urls[0], str):
        raise ChartFailure(CHART, f"the index gives no download URL for chart {chart} {version}")
    return urls[0]


def _check_digest(archive: bytes, entry: dict[str, Any], url: str) -> None:
    expected = entry.get("digest")
    if not isinstance(expected, str) or not expected:
        return
    actual = hashlib.sha256(archive).hexdigest()
    if actual != expected.removeprefix("sha256:").lower():
        raise ChartFailure(CHART, f"{url} does not match the digest its index gives ({expected}): refused")
