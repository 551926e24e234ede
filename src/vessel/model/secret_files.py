"""Where `secretRef`s and `secretKeyRef`s are read from: one file per key, `$VESSEL_HOME/secrets/NAME/KEY`.

KubeVela reads the key of a Kubernetes Secret in the Application's namespace. Vessel also delivers with no
cluster at all, so the secrets it must *use itself* — a webhook or notification URL, an SMTP password, an
environment variable of a process the `local` target runs — live on this machine, in files only their
owner can read (`chmod 600`), next to the store. They are read at use and never copied into the
Application, a revision, the inventory or a target's state: those keep the reference (`name`, `key`).
Every value read here is handed to `redaction`, so wherever it could reappear (an error, an HTTP answer
echoing it, a log line) it is masked; `every_value` lets a process that reads nothing here (`vessel
logs`, `vessel events`) mask them too.

A secret's directory may list, in its file `.public`, keys whose values are not secret (a shared
service binding's host, port, database and user names, which its env reads from the same secret as the
password): those are read like the others but not handed to `redaction`, so `127.0.0.1` or an
application's database name is not masked wherever it appears.

(In Kubernetes, `env[].valueFrom.secretKeyRef` stays a reference the kubelet resolves: the value never
passes through Vessel.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from vessel.errors import NotFoundError, ValidationError, Where
from vessel.home import vessel_home
from vessel.model import redaction

PART = re.compile(r"[-._A-Za-z0-9]+")  # what Kubernetes allows in Secret names and keys
MAX_BYTES = 64 * 1024  # a secret is a password, a token, a URL, a key: not a data set
MAX_FILES = 1_000  # read by `every_value`
PUBLIC = ".public"  # in a secret's directory: the keys that are not secret, one a line


def secrets_dir() -> Path:
    """`$VESSEL_HOME/secrets` (VESSEL_HOME defaults to ~/.vessel)."""
    return vessel_home() / "secrets"


def path_of(name: str, key: str, where: Where | None = None) -> Path:
    """The file of `name`/`key`, both checked so that no reference can reach outside the directory."""
    for label, part in (("name", name), ("key", key)):
        if not PART.fullmatch(part) or part in (".", ".."):
            raise ValidationError(
                f"secretRef {label} {part!r} may hold only letters, digits, '-', '_' and '.'", where
            )
    return secrets_dir() / name / key


def read(name: str, key: str, where: Where | None = None) -> str:
    """The text of the key's file, without one trailing newline (as `echo` writes it); remembered as a
    secret (`redaction`). NotFoundError (with the command that creates it) when there is no such file."""
    path = path_of(name, key, where)
    try:
        raw = _read_bytes(path)
    except FileNotFoundError:
        raise NotFoundError(
            f"secret {name!r} has no key {key!r}: create the file {path} holding the value",
            where,
            hint=f"e.g. mkdir -p {path.parent} && printf %s VALUE > {path} && chmod 600 {path}",
        ) from None
    except OSError as exc:
        raise ValidationError(f"cannot read secret file {path}: {exc.strerror}", where) from None
    value = _text(raw, path, where)
    if key not in public_keys(path.parent):
        redaction.remember(value)
    return value


def public_keys(directory: Path) -> frozenset[str]:
    """The keys of the secret in `directory` that its `.public` file says are not secret."""
    try:
        with (directory / PUBLIC).open("rb") as file:
            text = file.read(MAX_BYTES).decode("utf-8", "replace")
    except OSError:
        return frozenset()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def _read_bytes(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(MAX_BYTES + 1)


def _text(raw: bytes, path: Path, where: Where | None) -> str:
    if len(raw) > MAX_BYTES:
        raise ValidationError(f"secret file {path} is larger than {MAX_BYTES // 1024} KiB", where)
    try:
        value = raw.decode("utf-8").removesuffix("\n").removesuffix("\r")
    except UnicodeDecodeError:
        raise ValidationError(f"secret file {path} is not UTF-8 text", where) from None
    if not value:
        raise ValidationError(f"secret file {path} is empty", where)
    return value


def every_value() -> Iterator[str]:
    """Every value under the secrets directory that `read` would return (at most MAX_FILES files),
    skipping what cannot be read: what a process masks before it has read any of them itself."""
    try:
        files = sorted(secrets_dir().glob("*/*"))[:MAX_FILES]
    except OSError:
        return
    public = {d: public_keys(d) for d in {p.parent for p in files}}
    for path in files:
        if path.name == PUBLIC or _partial(path) or path.name in public[path.parent]:
            continue
        try:
            yield _text(_read_bytes(path), path, None)
        except (OSError, ValidationError):
            continue


def _partial(path: Path) -> bool:
    """A value being written (`.KEY.tmp`, renamed to KEY once whole): not a value yet."""
    return path.name.startswith(".") and path.name.endswith(".tmp")
