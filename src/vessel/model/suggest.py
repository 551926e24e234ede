""" "Did you mean …?": the closest known name to a misspelt one.

Vessel refuses what it does not know (an unknown field, an unknown type), where KubeVela ignores it; the
refusal is only fair if it says what was probably meant. `difflib`'s ratio finds `cpu` for `cpus` and
`dependsOn` for `dependOn`; nothing is suggested when no name is close (cutoff 0.6).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6


def closest(word: str, candidates: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=CUTOFF)
    return found[0] if found else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """` (did you mean `cpu`?)`, or "" when no candidate is close."""
    best = closest(word, candidates)
    return f" (did you mean `{best}`?)" if best else ""
