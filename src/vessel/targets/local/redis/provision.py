"""A user and a key prefix per binding in the shared Redis instance.

`ensure` is idempotent: `ACL SETUSER NAME reset on >PASSWORD ~NAME:* &NAME:* +@all -@dangerous` — the
user may touch only keys and channels under its prefix `NAME:`, and no administrative command — then
`ACL SAVE`, so the user survives restarts. The password is generated once and kept as mode-0600 files
under `VESSEL_HOME/secrets/<secret>/` with the other variables the component's env reads (REDIS_URL,
REDIS_HOST, REDIS_PORT, REDIS_USERNAME, REDIS_PASSWORD, REDIS_KEY_PREFIX); a later apply reuses it.
Another application's user is refused its keys (`NOPERM`). Redis redacts ACL SETUSER's arguments in
its slow log; Vessel never prints the password and masks it as every secret.

`drop` (`onDelete: drop`, when the application is deleted) unlinks the keys under the prefix, deletes
the user and removes the secret files; otherwise all are kept.
"""

from __future__ import annotations

import shutil
from urllib.parse import quote

from vessel.errors import Location, NotFoundError, TargetRejectedError, TargetUnavailableError
from vessel.model import secret_files
from vessel.targets.local.binding_spec import Binding, kept_password, write_secret
from vessel.targets.local.redis.instance import HOST, instance
from vessel.targets.local.redis.resp import Connection

KEYS = ("REDIS_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_USERNAME", "REDIS_PASSWORD", "REDIS_KEY_PREFIX")
PUBLIC = ("REDIS_HOST", "REDIS_PORT", "REDIS_USERNAME", "REDIS_KEY_PREFIX")  # not secrets: never masked
SCAN_COUNT = 1000


def ensure(binding: Binding) -> None:
    port = _port(binding)
    password = kept_password(binding, "REDIS_PASSWORD")
    prefix = f"{binding.name}:"
    with _admin(binding) as conn:
        conn.call(
            "ACL", "SETUSER", binding.name, "reset", "on", f">{password}",
            f"~{prefix}*", f"&{prefix}*", "+@all", "-@dangerous",
        )  # fmt: skip
        conn.call("ACL", "SAVE")
    url = f"redis://{binding.name}:{quote(password, safe='')}@{HOST}:{port}/0"
    values = [url, HOST, str(port), binding.name, password, prefix]
    write_secret(binding, dict(zip(KEYS, values, strict=True)), PUBLIC)


def drop(binding: Binding) -> None:
    with _admin(binding) as conn:
        cursor = "0"
        while True:
            cursor, keys = conn.call("SCAN", cursor, "MATCH", f"{binding.name}:*", "COUNT", SCAN_COUNT)
            if keys:
                conn.call("UNLINK", *keys)
            if cursor == "0":
                break
        conn.call("ACL", "DELUSER", binding.name)
        conn.call("ACL", "SAVE")
    shutil.rmtree(secret_files.secrets_dir() / binding.secret, ignore_errors=True)


def _port(binding: Binding) -> int:
    try:
        return instance().port()
    except NotFoundError as exc:
        raise TargetRejectedError(
            f"redis user {binding.name!r}: {exc.message}", Location(path=binding.where), hint=exc.hint
        ) from None


def _admin(binding: Binding) -> Connection:
    try:
        return instance().admin()
    except (OSError, NotFoundError) as exc:
        raise TargetUnavailableError(
            f"redis user {binding.name!r}: the shared Redis instance is not answering: {exc}",
            hint="vessel status addon-redis -n vessel-system",
        ) from None
