"""Versioned type names: `webservice@v1.2.0` pins version 1.2.0 of the `webservice` definition.

KubeVela keeps every version of a definition as a DefinitionRevision and lets an Application pin one with
`type: NAME@vVERSION`; a definition file says its version in `spec.version`. Vessel reads the same
spelling: the registry holds each version a definition file carries, `NAME` alone means the newest
(`definitions/registry.py`), and a revision snapshots the version it resolved, so it renders the same
after a newer version is installed. Labels carry the plain name (`workload.oam.dev/type: webservice`):
`@` is not allowed in a label value.

Vessel has no history of unversioned definitions, so KubeVela's numbered revisions (`@v1`, `@v2` made
automatically at each change) exist here only when a definition file declares that version itself.
"""

from __future__ import annotations

import re

MARK = "@v"
VERSION = re.compile(r"^[0-9]+(\.[0-9]+){0,2}$")
VERSION_WORDS = "numbers separated by dots, like 1, 1.2 or 1.2.3"


def split_type(type_name: str) -> tuple[str, str | None]:
    """(`webservice`, `1.2.0`) for `webservice@v1.2.0`; (`webservice`, None) for `webservice`."""
    name, mark, version = type_name.partition(MARK)
    return (name, version) if mark else (type_name, None)


def plain_type(type_name: str) -> str:
    return split_type(type_name)[0]


def version_key(version: str) -> tuple[int, ...]:
    """For ordering versions: `1.10` after `1.9`."""
    return tuple(int(part) for part in version.split(".")) if VERSION.match(version) else ()
