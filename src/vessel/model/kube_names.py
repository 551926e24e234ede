"""Kubernetes' rules for names and values (k8s.io/apimachinery `util/validation`), as Vessel applies them.

What Vessel delivers must be accepted by Kubernetes whatever the target: a `directory` or `local` target
would otherwise write or run what no cluster takes (a namespace `a.b`, a 200-character label value), and
the same Application would fail only when moved to a cluster. So names are checked when the Application
is read (`application_schema`, `parse`), and the common fields of rendered objects after rendering
(`render/object_rules.py`), with these rules:

- DNS-1123 label: lowercase letters, digits and `-`, starting and ending alphanumeric, at most 63
  characters (namespaces, container names, Namespace objects);
- DNS-1123 subdomain: labels joined by `.`, at most 253 characters (most object names);
- DNS-1035 label: a DNS-1123 label that starts with a letter (Service names);
- label values: at most 63 characters of letters, digits, `-`, `_` and `.`, starting and ending
  alphanumeric, or empty; label and annotation keys are qualified names: an optional DNS subdomain prefix
  and `/`, then a name of at most 63 such characters; an object's annotations take at most 256 KiB;
- port numbers 1-65535; port names (IANA service names) at most 15 lowercase letters, digits and `-`,
  with a letter, no `--`, no `-` at either end.

Every check returns a problem in words, or None.
"""

from __future__ import annotations

import re
from typing import Any

DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS_SUBDOMAIN = rf"{DNS_LABEL}(\.{DNS_LABEL})*"
_LABEL = re.compile(DNS_LABEL)
_SUBDOMAIN = re.compile(DNS_SUBDOMAIN)
_DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_QUALIFIED = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_PORT_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")

LABEL_MAX, SUBDOMAIN_MAX, PORT_NAME_MAX = 63, 253, 15
ANNOTATIONS_MAX = 256 * 1024  # keys and values of one object's annotations together
LABEL_WORDS = "lowercase letters, digits and '-', starting and ending with a letter or digit"
SUBDOMAIN_WORDS = "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
VALUE_WORDS = "letters, digits, '-', '_' and '.', starting and ending with a letter or digit"


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else f"must be a string, got {type(value).__name__}"


def dns_label(value: Any) -> str | None:
    if problem := _text(value):
        return problem
    if len(value) > LABEL_MAX or not _LABEL.fullmatch(value):
        return f"{_short(value)} is not a DNS-1123 label ({LABEL_WORDS}, at most {LABEL_MAX} characters)"
    return None


def dns_subdomain(value: Any) -> str | None:
    if problem := _text(value):
        return problem
    if len(value) > SUBDOMAIN_MAX or not _SUBDOMAIN.fullmatch(value):
        most = f"at most {SUBDOMAIN_MAX} characters"
        return f"{_short(value)} is not a DNS-1123 subdomain ({SUBDOMAIN_WORDS}, {most})"
    return None


def dns1035_label(value: Any) -> str | None:
    if problem := _text(value):
        return problem
    if len(value) > LABEL_MAX or not _DNS1035.fullmatch(value):
        most = f"at most {LABEL_MAX} characters"
        return f"{_short(value)} is not a DNS-1035 label ({LABEL_WORDS}, a letter first, {most})"
    return None


def path_segment(value: Any) -> str | None:
    """What every object name must be, whatever its kind: usable as one segment of a URL path."""
    if problem := _text(value):
        return problem
    if not value or value in (".", "..") or "/" in value or "%" in value:
        return f"{value!r} cannot be an object name (empty, '.', '..', or containing '/' or '%')"
    return None


def label_value(value: Any) -> str | None:
    if problem := _text(value):
        return problem
    if len(value) > LABEL_MAX or (value and not _QUALIFIED.fullmatch(value)):
        return f"{_short(value)} is not a valid label value ({VALUE_WORDS}, at most {LABEL_MAX} characters)"
    return None


def qualified_name(value: Any) -> str | None:
    """A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain."""
    if problem := _text(value):
        return problem
    prefix, slash, name = value.rpartition("/")
    bad_prefix = bool(slash) and (len(prefix) > SUBDOMAIN_MAX or not _SUBDOMAIN.fullmatch(prefix))
    if bad_prefix or len(name) > LABEL_MAX or not _QUALIFIED.fullmatch(name):
        return (
            f"{_short(value)} is not a valid key (an optional DNS subdomain and '/', then {VALUE_WORDS}, "
            f"at most {LABEL_MAX} characters)"
        )
    return None


def port_number(value: Any) -> str | None:
    if type(value) is not int:
        return f"must be an integer port number, got {value!r}"
    if not 1 <= value <= 65535:
        return f"{value} is not a port number (1-65535)"
    return None


def port_name(value: Any) -> str | None:
    if problem := _text(value):
        return problem
    ok = len(value) <= PORT_NAME_MAX and _PORT_NAME.fullmatch(value) and "--" not in value
    if not ok or not re.search("[a-z]", value):
        return (
            f"{value!r} is not a port name (at most {PORT_NAME_MAX} lowercase letters, digits and '-', "
            "with at least one letter)"
        )
    return None


def port_or_name(value: Any) -> str | None:
    """A port given as a number or by the name of a container port (`targetPort`, probes)."""
    return port_name(value) if isinstance(value, str) else port_number(value)


def _short(value: str) -> str:
    return repr(value) if len(value) <= 70 else f"{value[:40]!r}… ({len(value)} characters)"
