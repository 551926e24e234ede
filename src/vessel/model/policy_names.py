"""Names for policies written without one.

KubeVela's own files leave `name` out of some policies; a name is still needed, because deploy steps
name the policies they apply and the default workflow names its steps `deploy-<policy>`. The generated
name is the policy's type (`topology`), or, when that is taken — by a named policy or an earlier unnamed
one — the type followed by the smallest free `-2`, `-3`… So the name depends only on the file: the same
Application always gets the same names, and a revision re-read from its snapshot gets them again.
A type that is no valid name (`My_Policy`) gives `policy`, `policy-2`…
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from vessel.model.kube_names import DNS_SUBDOMAIN

_VALID = re.compile(rf"^{DNS_SUBDOMAIN}$")
NAME_MAX = 63
FALLBACK = "policy"


def policy_names(policies: Sequence[Mapping[str, Any]]) -> list[str]:
    """The name of each policy: its own, or a generated one that no other policy has."""
    taken = {p["name"] for p in policies if "name" in p}
    names = []
    for policy in policies:
        name = policy.get("name") or _free(_base(policy["type"]), taken)
        taken.add(name)
        names.append(name)
    return names


def _base(policy_type: str) -> str:
    return policy_type if _VALID.match(policy_type) and len(policy_type) <= NAME_MAX - 4 else FALLBACK


def _free(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"
