"""One binding of a local object to a shared service (`spec.bindings.<addon>`), as the services'
provisioning code takes it, and where its credentials go: one mode-0600 file per variable under
`VESSEL_HOME/secrets/<secret>/`, what the component's env reads through `secretKeyRef`."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from vessel.errors import NotFoundError
from vessel.home import private_directory
from vessel.model import redaction, secret_files

IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")  # a PostgreSQL database/role, a Redis user and prefix
KEEP, DROP = "keep", "drop"


@dataclass(frozen=True)
class Binding:
    name: str  # the database and user (postgresql), the user and key prefix (redis)
    secret: str  # VESSEL_HOME/secrets/<secret>/<KEY>
    on_delete: str  # keep | drop
    where: str  # the field path, for messages


def kept_password(binding: Binding, key: str) -> str:
    """The binding's stored password (secret `key`), or a new one: the first binding, or after its file
    was removed. A new one is known to redaction at once, before anything could print it."""
    try:
        return secret_files.read(binding.secret, key)
    except NotFoundError:
        password = secrets.token_urlsafe(24)
        redaction.remember(password)
        return password


def write_secret(binding: Binding, values: dict[str, str], public: tuple[str, ...] = ()) -> None:
    """The binding's secret: one file per key; `public` names the keys whose values are not secret
    (host, port, names), which are then not masked wherever they appear (`secret_files.PUBLIC`)."""
    directory = secret_files.secrets_dir() / binding.secret
    private_directory(directory)
    write_private(directory / secret_files.PUBLIC, "".join(f"{key}\n" for key in public))
    for key, value in values.items():
        write_private(directory / key, value)


def write_private(path: Path, value: str) -> None:
    """Write `value` to `path` (mode 0600) whole or not at all."""
    temp = path.with_name(f".{path.name}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value)
    temp.replace(path)
