"""What a Kubernetes version looks like (`v1.27.3`, `v1.29.1+k3s1`, `1.30`): one reading for the
targets that report or are configured with one and for the render context that hands it to templates."""

from __future__ import annotations

import re
from typing import NamedTuple

_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?([-+].*)?")


class KubeVersion(NamedTuple):
    major: int
    minor: int
    patch: int


def parse_kube_version(text: str) -> KubeVersion | None:
    """The version `text` names, or None if it is not one."""
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        return None
    return KubeVersion(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
