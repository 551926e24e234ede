"""Secrets never leave in what Vessel shows or writes about its work: one mechanism with two rules.

Secrets enter a Vessel process in a few known places: Secret objects an Application renders (`data`,
`stringData`); values read from `$VESSEL_HOME/secrets` for a `secretRef` (webhook and notification
URLs, an SMTP password) or an env `secretKeyRef` on the local target (`secret_files`); credentials an
HTTP step's URL or headers carry; the kubeconfig's credentials, which only the Kubernetes client ever
reads (they never reach this module, nor anything Vessel writes).

1. By shape: a manifest that is shown — `vessel diff`, `vessel revision show` — has every value of a
   Secret's `data` and `stringData` masked (`masked`, `masked_pair`), as `kubectl diff` does: `***`,
   or `*** (before)` / `*** (after)` where the value changed. Keys stay visible.
2. By value: every text Vessel writes or prints about its work — step and run messages, events, the
   application's message, failed deletes (`store`), errors and documents the command line prints
   (`cli.output`, `cli.report`), log lines (`controller.logs`) — goes through `redact`, which replaces
   every secret value this process knows with `***`. A process knows a value once it met it: read from
   a secret file (and all of them, on first use), in a Secret manifest the store records or reads, or
   in an HTTP step's URL and credential headers. So an API server's 422 that echoes a field, a webhook
   receiver that quotes the URL's token, or a crash's last stderr line cannot carry a secret out.

What is *stored* is another matter, decided by what the store must be able to do: the inventory holds
the manifests it re-applies (Secret data included), a revision holds the Application as written (a
`k8s-objects` Secret, a URL written inline), and a run holds the workflow it drives and the values its
steps passed on. Those stay as they are — the store is the user's own, under VESSEL_HOME — and every
path that shows them goes through the rules above. Values shorter than MIN_LENGTH are not matched by
value (they would mask common words); the values known are bounded (MAX_VALUES, the oldest forgotten).
"""

from __future__ import annotations

import base64
import binascii
import copy
import threading
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from vessel.model.resource_key import canonical_kind

MASK = "***"
BEFORE, AFTER = f"{MASK} (before)", f"{MASK} (after)"
MIN_LENGTH = 6  # shorter values (`true`, `root`) would mask common words; shown Secrets are masked anyway
URL_PART_LENGTH = 8  # shorter paths and query values are words (`hook`, `json`), not tokens
LINE_LENGTH = 16  # lines of a multi-line secret (a key, a certificate) matched on their own
MAX_VALUES = 4096
SECRET_FIELDS = ("data", "stringData")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"  # a client-side apply's full copy

T = TypeVar("T")


# --- by shape: Secret objects --------------------------------------------------------------------------


def is_secret(obj: Mapping[str, Any] | None) -> bool:
    """Whether `obj` is a Kubernetes Secret (core v1; the kind in any case, as keys compare it)."""
    if not isinstance(obj, Mapping) or obj.get("apiVersion") != "v1":
        return False
    return canonical_kind(str(obj.get("kind", ""))) == "secret"


def masked(obj: T) -> T:
    """`obj` with a Secret's values masked (a copy); anything else as it is."""
    if not isinstance(obj, Mapping) or not is_secret(obj):
        return obj
    return _masked_copy(obj)  # type: ignore[return-value]


def _masked_copy(obj: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(obj))
    for field in SECRET_FIELDS:
        if isinstance(out.get(field), Mapping):
            out[field] = dict.fromkeys(out[field], MASK)
    meta = out.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    if isinstance(meta, Mapping) and isinstance(annotations, Mapping) and LAST_APPLIED in annotations:
        out["metadata"] = {**meta, "annotations": {**annotations, LAST_APPLIED: MASK}}
    return out


def shown(obj: T) -> T:
    """A manifest as any read path shows it: a Secret's values masked, any other secret value redacted."""
    return redact_data(masked(obj))


def masked_pair(
    before: Mapping[str, Any] | None, after: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Both sides of a comparison masked like `kubectl diff`: an unchanged value is `***` on both sides,
    a changed one `*** (before)` and `*** (after)`, so a diff still shows *that* a value changed."""
    if not is_secret(after) and not is_secret(before):
        return (None if before is None else dict(before)), dict(after)
    old = None if before is None else _masked_copy(before)
    new = _masked_copy(after)
    for field in SECRET_FIELDS:
        was = (before or {}).get(field)
        now = after.get(field)
        was = was if isinstance(was, Mapping) else {}
        now = now if isinstance(now, Mapping) else {}
        if old is not None and isinstance(old.get(field), dict):
            old[field] = {k: MASK if k in now and now[k] == v else BEFORE for k, v in was.items()}
        if isinstance(new.get(field), dict):
            new[field] = {k: MASK if k in was and was[k] == v else AFTER for k, v in now.items()}
    return old, new


def secret_values(obj: Mapping[str, Any]) -> list[str]:
    """The values a Secret holds: each `stringData` value, each `data` value as written (base64) and
    decoded (when it is text)."""
    if not is_secret(obj):
        return []
    found: list[str] = []
    for field in SECRET_FIELDS:
        values = obj.get(field)
        for value in values.values() if isinstance(values, Mapping) else ():
            if not isinstance(value, str):
                continue
            found.append(value)
            if field == "data":
                found.extend(_decoded(value))
    return found


def _decoded(value: str) -> list[str]:
    try:
        return [base64.b64decode(value, validate=True).decode("utf-8")]
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return []


def basic_credentials(user: str, password: str) -> str:
    """`user:password` as HTTP Basic authentication sends it (base64), which an echoed header shows."""
    return base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")


# A database URL's path names the database (a shared service binding's DATABASE_URL): not a secret.
DATABASE_SCHEMES = frozenset({"postgresql", "postgres", "redis", "rediss", "mysql"})


def url_secrets(url: str, *, secret: bool) -> list[str]:
    """What in a URL is a credential: its password (and its Basic form) and query values at least
    URL_PART_LENGTH long — and when the whole URL came from a secret, the URL itself and its path too (a
    webhook's path often is its token; a database URL's path is only the database's name). Each as
    written and decoded."""
    try:
        parts = urlsplit(url.strip())
        password = parts.password
    except ValueError:
        return [url] if secret else []
    query = [v for _, v in parse_qsl(parts.query, keep_blank_values=True) if len(v) >= URL_PART_LENGTH]
    found = [*query, *([password, basic_credentials(parts.username or "", password)] if password else [])]
    path = parts.path.strip("/") if parts.scheme not in DATABASE_SCHEMES else ""  # a database's name
    if secret:
        found += [url, *([path] if len(path) >= URL_PART_LENGTH else [])]
    return [*found, *(unquote(v) for v in found)]


# --- by value: what this process knows -----------------------------------------------------------------


class Known:
    """The secret values this process has met (bounded), looked for in a text longest first. A substring
    scan, not one big regular expression: thousands of values cost a fraction of a millisecond per text
    and nothing to compile when one is added."""

    def __init__(self) -> None:
        self._values: dict[str, None] = {}  # insertion-ordered: the oldest is forgotten first
        self._longest_first: list[str] | None = None
        self._files_read = False
        self._lock = threading.Lock()

    def add(self, values: Iterable[str]) -> None:
        with self._lock:
            for value in values:
                for candidate in _candidates(value):
                    if candidate not in self._values:
                        self._values[candidate] = None
                        self._longest_first = None
            while len(self._values) > MAX_VALUES:
                del self._values[next(iter(self._values))]

    def redact(self, text: str) -> str:
        if not text:
            return text
        for value in self._current():
            if value in text:
                text = text.replace(value, MASK)
        return text

    def _current(self) -> list[str]:
        if not self._files_read:
            self._read_files()
        with self._lock:
            if self._longest_first is None:  # a value inside a longer one must not cut that one up
                self._longest_first = sorted(self._values, key=len, reverse=True)
            return self._longest_first

    def _read_files(self) -> None:
        from vessel.model import secret_files  # which imports this module

        self._files_read = True
        for value in secret_files.every_value():  # a URL's parts too: a webhook's token is its path
            self.add(url_secrets(value, secret=True))

    def forget_all(self) -> None:
        """For tests: a process that has met no secret yet."""
        with self._lock:
            self._values.clear()
            self._longest_first = None
            self._files_read = False


def _candidates(value: str) -> list[str]:
    """A value, and for a multi-line one each long line of it as well."""
    value = value.strip()
    lines = [line.strip() for line in value.splitlines()] if "\n" in value else []
    return [value] * (len(value) >= MIN_LENGTH) + [line for line in lines if len(line) >= LINE_LENGTH]


KNOWN = Known()


def remember(*values: str) -> None:
    """Treat `values` as secrets from now on, in this process."""
    KNOWN.add(values)


def remember_object(obj: Mapping[str, Any]) -> None:
    """Remember the values of `obj` if it is a Secret."""
    if is_secret(obj):
        KNOWN.add(secret_values(obj))


def remember_leaves(value: Any) -> None:
    """Remember every string inside `value` (a config's values: each may be a password)."""
    if isinstance(value, str):
        KNOWN.add((value,))
    elif isinstance(value, Mapping):
        for item in value.values():
            remember_leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            remember_leaves(item)


def remember_url(url: str, *, secret: bool = False) -> None:
    """Remember the credentials in `url` (all of it when it came from a secret: `url_secrets`)."""
    KNOWN.add(url_secrets(url, secret=secret))


def redact(text: str) -> str:
    """`text` with every secret value this process knows replaced by `***`."""
    return KNOWN.redact(text)


def redact_data(value: T) -> T:
    """Every string in a JSON-like document (keys too) passed through `redact`."""
    if isinstance(value, str):
        return KNOWN.redact(value)  # type: ignore[return-value]
    if isinstance(value, Mapping):
        return {redact_data(k): redact_data(v) for k, v in value.items()}  # type: ignore[return-value]
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]  # type: ignore[return-value]
    return value
