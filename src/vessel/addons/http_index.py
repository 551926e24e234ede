"""HTTP index registries: `index.yaml` at a URL lists each addon's versions, with the archive of each
and its sha256.

    addons:
      - name: redis
        description: Redis for the platform's applications
        versions:
          - version: 1.2.0
            url: redis-1.2.0.tar.gz        # relative to the index, or absolute
            sha256: 9f86d08…

Only the index is fetched to list what is on offer. An archive is downloaded when a version is chosen,
checked against its sha256 before anything is unpacked, unpacked safely (`addons/archive.py`) into a
cache under VESSEL_HOME keyed by that checksum, and then read like any addon directory — its
metadata.yaml must name the same addon and version as the index. Downloads are capped in time and size.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import jsonschema

from vessel.addons.archive import addon_root, unpack
from vessel.addons.metadata import NAME_PATTERN
from vessel.addons.semver import parse_version
from vessel.errors import Location, NotFoundError, ValidationError
from vessel.home import vessel_home
from vessel.model.schema_check import check
from vessel.model.yaml_source import Limits, read_text

INDEX_FILE = "index.yaml"
MAX_INDEX_BYTES = 4 * 1024 * 1024
MAX_ARCHIVE_BYTES = 16 * 1024 * 1024
TIMEOUT_SECONDS = 15.0
_SHA256 = r"^[0-9a-f]{64}$"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["addons"],
    "properties": {
        "apiVersion": {"type": "string"},
        "addons": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "versions"],
                "properties": {
                    "name": {"type": "string", "pattern": NAME_PATTERN},
                    "description": {"type": "string"},
                    "versions": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["version", "url", "sha256"],
                            "properties": {
                                "version": {"type": "string"},
                                "url": {"type": "string", "minLength": 1},
                                "sha256": {"type": "string", "pattern": _SHA256},
                            },
                        },
                    },
                },
            },
        },
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def index_url(base: str) -> str:
    return base if base.endswith(INDEX_FILE) else base.rstrip("/") + "/" + INDEX_FILE


def read_index(base: str) -> list[tuple[str, str, str, str, str]]:
    """(name, version, description, archive URL, sha256) of every version the index lists."""
    url = index_url(base)
    text = _download(url, MAX_INDEX_BYTES).decode("utf-8", errors="replace")
    docs = read_text(text, url, Limits(max_bytes=MAX_INDEX_BYTES, max_documents=1))
    if not docs:
        raise ValidationError("the addon index is empty", Location(url))
    data = docs[0].data
    check(data, _VALIDATOR, docs[0].source.locate)
    found = []
    for i, addon in enumerate(data["addons"]):
        for j, entry in enumerate(addon["versions"]):
            if parse_version(entry["version"]) is None:
                where = docs[0].source.locate(("addons", i, "versions", j, "version"))
                raise ValidationError(f"{entry['version']!r} is not a semver version", where)
            archive = urllib.parse.urljoin(url, entry["url"])
            found.append(
                (addon["name"], entry["version"], addon.get("description", ""), archive, entry["sha256"])
            )
    return found


def fetch_archive(url: str, sha256: str) -> Path:
    """The unpacked addon directory of the archive at `url`, verified against `sha256` (cached)."""
    cache = vessel_home() / "addons" / "archives" / sha256
    if not cache.is_dir():
        data = _download(url, MAX_ARCHIVE_BYTES)
        got = hashlib.sha256(data).hexdigest()
        if got != sha256:
            raise ValidationError(
                f"archive {url} has sha256 {got}, not the {sha256} the index lists: refused",
                hint="the archive or the index was changed; ask the registry's owner",
            )
        return unpack(data, cache, url)
    return addon_root(cache)


def _download(url: str, cap: int) -> bytes:
    if urllib.parse.urlparse(url).scheme not in ("http", "https"):
        raise ValidationError(f"{url!r} is not an http(s) URL")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            data: bytes = response.read(cap + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NotFoundError(
            f"cannot fetch {url}: {reason}", hint="is the registry's URL right, and reachable?"
        ) from None
    if len(data) > cap:
        raise ValidationError(f"{url} is larger than {cap} bytes: refused")
    return data
