"""Where the local target's shared PostgreSQL instance lives, and how Vessel reaches it as its superuser.

    VESSEL_HOME/addons/postgresql/
      data/          the cluster (initdb), kept across restarts of the process and of the machine
      run/           its unix socket (0700): the superuser connects only here, with no password
      instance.json  {"port": N}: the TCP port on 127.0.0.1 chosen once, free at the time, then kept

Applications connect over TCP on 127.0.0.1 with a password (scram-sha-256); the superuser `postgres`
only through the socket, which only the user running the server (and root) can reach.

PostgreSQL refuses to run as root (as `initdb` does). When Vessel runs as root, the server runs as the
`postgres` OS user, which the machine's PostgreSQL packages create: the data and socket directories are
owned by it, and VESSEL_HOME and VESSEL_HOME/addons are made searchable by others (mode 0711: entered, not
listed — what they hold keeps its own 0700/0600 modes), so that it can reach them.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from vessel.errors import NotFoundError, TargetUnavailableError
from vessel.home import vessel_home
from vessel.targets.local.shared_instance import SharedInstance

ADDON = "postgresql"
SUPERUSER = "postgres"
OS_USER = "postgres"  # who runs the server when Vessel runs as root
VERSIONED_BINDIRS = tuple(Path(f"/usr/lib/postgresql/{v}/bin") for v in (17, 16, 15, 14, 13))
CONNECT_TIMEOUT_S = 5


@dataclass(frozen=True)
class Instance(SharedInstance):
    ADDON: ClassVar[str] = ADDON
    TITLE: ClassVar[str] = "PostgreSQL"

    @property
    def run(self) -> Path:
        return self.root / "run"

    def superuser_dsn(self, database: str = "postgres") -> dict[str, object]:
        """psycopg.connect() arguments for the superuser, through the socket."""
        return {
            "host": str(self.run),
            "port": self.port(),
            "user": SUPERUSER,
            "dbname": database,
            "connect_timeout": CONNECT_TIMEOUT_S,
        }


def instance() -> Instance:
    return Instance(vessel_home() / "addons" / ADDON)


def bindir() -> Path:
    """The directory of `initdb` and `postgres`: pg_config's BINDIR, else the newest
    /usr/lib/postgresql/N/bin, else PATH; NotFoundError saying what to install."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(found.stdout.strip())
        if found.returncode == 0 and (candidate / "initdb").is_file():
            return candidate
    for candidate in VERSIONED_BINDIRS:
        if (candidate / "initdb").is_file():
            return candidate
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise NotFoundError(
        "PostgreSQL is not installed on this machine: no initdb in pg_config --bindir,"
        " /usr/lib/postgresql/*/bin or PATH",
        hint="install it (Debian/Ubuntu: apt-get install postgresql) and enable the addon again",
    )


def server_user() -> pwd.struct_passwd | None:
    """The OS user the server runs as when we are root; None when it runs as we do."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(OS_USER)
    except KeyError:
        raise TargetUnavailableError(
            f"running as root, PostgreSQL needs the OS user {OS_USER!r} to run as, and there is none",
            hint=f"create it (useradd --system {OS_USER}) or run Vessel as an ordinary user",
        ) from None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
