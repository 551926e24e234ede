"""Kubernetes resource quantities (`cpu: 500m`, `memory: 1Gi`): their value, the canonical form an API
server stores them in, and which fields of the built-in kinds hold them.

An API server parses every Quantity field it is sent and stores (and answers) its canonical form:
`0.5` becomes `500m`, `1.5Gi` becomes `1536Mi`, `1000M` becomes `1G`, the number `2` becomes "2" — but
`1073741824` stays as written, since the kind of suffix (binary or decimal) is kept. The manifest Vessel
applies and the live object can therefore spell the same quantity differently, and comparing them as
text would read a steady state as drift forever. `targets.applied` compares these fields by value;
the fake API server (`vessel.testing.fake_kube`) stores them canonically, as a real one does.

The rules are those of k8s.io/apimachinery/pkg/api/resource (`Quantity`):

* a number (sign, digits, an optional fraction) and a suffix: binary `Ki Mi Gi Ti Pi Ei` (powers of
  1024), decimal `n u m "" k M G T P E` (powers of 1000), or an exponent `e<n>` / `E<n>`; a JSON number is
  read the same way;
* the value is kept exactly, except that a non-zero value is rounded up (away from zero) to a whole
  number of nano-units (`0.9n` is `1n`), and a binary quantity is capped at 2^63-1;
* canonical form keeps the suffix family and, without losing precision and without fractional digits,
  uses the largest suffix: a multiple of 3 for decimal exponents (`1500` stays `1500`, `1.5` is
  `1500m`), a power of 1024 for binary ones. A binary quantity under 1024 in magnitude, or not a whole
  number, is written in decimal (`512Mi` stays, `0.5Ki` is `512`, `1.5` binary is `1500m`); zero is `0`;
  an exponent beyond `E` is written `e<n>`.

(An API server also keeps a few non-canonical spellings it happens to parse on a fast path, such as
`+1`; here every value is put in canonical form.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from typing import NamedTuple

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

_NUMBER = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)")
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_SUFFIX = {exponent: suffix for suffix, exponent in _DECIMAL.items()}
_BINARY_SUFFIX = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
_NANO = Fraction(1, 10**9)
_MAX_BINARY = Fraction(2**63 - 1)
PATTERN = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"


class Quantity(NamedTuple):
    value: Fraction
    format: str  # DECIMAL_SI | BINARY_SI | DECIMAL_EXPONENT


def parse(text: object) -> Quantity:
    """A quantity from a string or a JSON number; ValueError if it is not one."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise ValueError(f"quantities must match the regular expression '{PATTERN}'")
    spelled = text if isinstance(text, str) else repr(text)
    match = _NUMBER.fullmatch(spelled)
    if not spelled or match is None:
        raise ValueError(f"quantities must match the regular expression '{PATTERN}'")
    sign, whole, fraction, suffix = match.groups()
    number = Fraction(int(whole or "0")) + (Fraction(int(fraction), 10 ** len(fraction)) if fraction else 0)
    value, form = _scaled(number, suffix, spelled)
    if sign == "-":
        value = -value
    return Quantity(*_bounded(value, form))


def _scaled(number: Fraction, suffix: str, spelled: str) -> tuple[Fraction, str]:
    if suffix in _DECIMAL:
        return number * Fraction(10) ** _DECIMAL[suffix], DECIMAL_SI
    if suffix in _BINARY:
        return number * 2 ** _BINARY[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE" and re.fullmatch(r"[-+]?[0-9]+", suffix[1:]):
        return number * Fraction(10) ** int(suffix[1:]), DECIMAL_EXPONENT
    raise ValueError(f"unable to parse quantity's suffix in {spelled!r}")


def _bounded(value: Fraction, form: str) -> tuple[Fraction, str]:
    """Round a non-zero value up (away from zero) to whole nano-units; cap binary ones at 2^63-1."""
    magnitude = abs(value)
    if magnitude and (magnitude / _NANO).denominator != 1:
        magnitude = (magnitude // _NANO + 1) * _NANO
    if form == BINARY_SI:
        magnitude = min(magnitude, _MAX_BINARY)
        if 0 < magnitude < 1:
            form = DECIMAL_SI
    return (magnitude if value >= 0 else -magnitude), form


def canonical(quantity: Quantity) -> str:
    """How an API server writes the quantity back."""
    value, form = quantity
    if value == 0:
        return "0"
    if form == BINARY_SI and abs(value) >= 1024 and value.denominator == 1:
        mantissa, power = int(value), 0
        while power < len(_BINARY_SUFFIX) - 1 and mantissa % 1024 == 0:
            mantissa, power = mantissa // 1024, power + 1
        return f"{mantissa}{_BINARY_SUFFIX[power]}"
    mantissa, exponent = int(value / _NANO), -9  # whole nano-units, by construction
    while mantissa % 1000 == 0:
        mantissa, exponent = mantissa // 1000, exponent + 3
    if form != DECIMAL_EXPONENT and exponent in _DECIMAL_SUFFIX:
        return f"{mantissa}{_DECIMAL_SUFFIX[exponent]}"
    return f"{mantissa}e{exponent}" if exponent else str(mantissa)


def canonical_text(text: object) -> str:
    """The canonical spelling of a quantity given as a string or a number; ValueError if invalid."""
    return canonical(parse(text))


def same_quantity(a: object, b: object) -> bool:
    """Whether `a` and `b` are both quantities of the same value (`0.5` and "500m", 1024 and "1Ki")."""
    try:
        return parse(a).value == parse(b).value
    except ValueError:
        return False


# --- which fields hold quantities -------------------------------------------------------------------------

_LIMIT_RANGE_ITEMS = frozenset({"max", "min", "default", "defaultRequest", "maxLimitRequestRatio"})
_QUANTITY_MAPS = frozenset({"overhead", "capacity", "allocatable", "allocatedResources"})


def is_builtin(api_version: object) -> bool:
    """Whether the kind is one of Kubernetes' own (typed fields), not a custom resource (kept as sent)."""
    if not isinstance(api_version, str):
        return False
    group = api_version.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def is_quantity_field(kind: str, keys: Sequence[str]) -> bool:
    """Whether the field at `keys` (map keys from the object's root; list positions left out) of a
    built-in `kind` is a Quantity: resource requests and limits (containers, pods, volume claims and
    their templates), `emptyDir.sizeLimit`, pod overhead, capacities, a ResourceQuota's `hard` and
    `used`, a LimitRange's limits, and a HorizontalPodAutoscaler's metric values."""
    tail = tuple(keys[-3:])
    if len(tail) == 3 and tail[0] == "resources" and tail[1] in ("requests", "limits"):
        return True
    if tail[-2:] == ("emptyDir", "sizeLimit"):
        return True
    if len(tail) >= 2 and tail[-2] in _QUANTITY_MAPS:
        return True
    if kind == "ResourceQuota":
        return len(keys) == 3 and keys[1] in ("hard", "used")
    if kind == "LimitRange":
        return len(tail) == 3 and tail[0] == "limits" and tail[1] in _LIMIT_RANGE_ITEMS
    if kind == "HorizontalPodAutoscaler":
        return len(tail) >= 2 and tail[-2] in ("target", "current") and tail[-1] in ("value", "averageValue")
    return False
