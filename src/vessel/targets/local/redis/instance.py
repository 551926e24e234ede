"""Where the local target's shared Redis instance lives, and how Vessel reaches it as its admin.

    VESSEL_HOME/addons/redis/
      data/           the append-only file and the ACL file (users.acl): kept across restarts
      instance.json   {"port": N}: the TCP port on 127.0.0.1 chosen once, free at the time, then kept
    VESSEL_HOME/secrets/addon-redis/ADMIN_PASSWORD
                      the admin user's password, generated at the first start (mode 0600)

Redis's `default` user is switched off: every connection authenticates, the admin (`vessel-admin`, all
keys and commands) with the password above, each application with its own user (see `provision`).
Redis does not refuse root, so the server runs as the user running Vessel.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from vessel.errors import NotFoundError
from vessel.home import private_directory, vessel_home
from vessel.model import secret_files
from vessel.targets.local.binding_spec import write_private
from vessel.targets.local.redis.resp import Connection
from vessel.targets.local.shared_instance import SharedInstance

ADDON = "redis"
ADMIN = "vessel-admin"
ADMIN_SECRET, ADMIN_KEY = "addon-redis", "ADMIN_PASSWORD"
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Instance(SharedInstance):
    ADDON: ClassVar[str] = ADDON
    TITLE: ClassVar[str] = "Redis"

    def admin(self) -> Connection:
        """A connection authenticated as the admin (OSError when the server does not answer)."""
        conn = Connection(HOST, self.port())
        try:
            conn.call("AUTH", ADMIN, admin_password())
        except BaseException:
            conn.close()
            raise
        return conn


def instance() -> Instance:
    return Instance(vessel_home() / "addons" / ADDON)


def admin_password(create: bool = False) -> str:
    try:
        return secret_files.read(ADMIN_SECRET, ADMIN_KEY)
    except NotFoundError:
        if not create:
            raise
    password = secrets.token_urlsafe(24)
    path = secret_files.path_of(ADMIN_SECRET, ADMIN_KEY)
    private_directory(path.parent)
    write_private(path, password)
    return secret_files.read(ADMIN_SECRET, ADMIN_KEY)


def binary() -> Path:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").is_file() else None
    )
    if found is None:
        raise NotFoundError(
            "Redis is not installed on this machine: no redis-server on PATH or in /usr/bin",
            hint="install it (Debian/Ubuntu: apt-get install redis-server) and enable the addon again",
        )
    return Path(found)
