"""The process of the addon's `redis-server` component: `$(VESSEL_PYTHON) -m
vessel.targets.local.redis.server`.

It prepares the data directory, the admin's password and the ACL file (the `default` user off, the admin
on), keeps the port it chose, and then *becomes* redis-server (exec), so the local target supervises
Redis itself. Whatever stops it from starting is one line on stderr and exit status 1.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sys

from vessel.errors import VesselError
from vessel.home import private_directory
from vessel.targets.local.binding_spec import write_private
from vessel.targets.local.ports import is_free
from vessel.targets.local.redis.instance import (
    ADMIN,
    HOST,
    Instance,
    admin_password,
    binary,
    instance,
)

ACL_FILE = "users.acl"


def main() -> int:
    try:
        argv = prepare(instance())
    except VesselError as exc:
        print(f"redis: {exc}", file=sys.stderr)
        return 1
    os.execv(argv[0], argv)  # never returns
    return 1


def prepare(inst: Instance) -> list[str]:
    server = binary()
    private_directory(inst.data)
    _acl_file(inst, admin_password(create=True))
    port = _port(inst)
    return [
        str(server),
        "--bind", HOST,
        "--port", str(port),
        "--dir", str(inst.data),
        "--appendonly", "yes",
        "--save", "",
        "--aclfile", str(inst.data / ACL_FILE),
        "--daemonize", "no",
        "--pidfile", str(inst.root / "server.pid"),
        "--logfile", "",
    ]  # fmt: skip


def _acl_file(inst: Instance, password: str) -> None:
    """The users the server starts with: those bindings saved, plus `default` off and the admin on with
    the current password (rewritten at every start, so a lost password file heals)."""
    path = inst.data / ACL_FILE
    kept = path.read_text().splitlines() if path.is_file() else []
    users = [line for line in kept if line.split()[:2] not in (["user", "default"], ["user", ADMIN])]
    digest = hashlib.sha256(password.encode()).hexdigest()
    lines = ["user default off resetchannels -@all", f"user {ADMIN} on #{digest} ~* &* +@all", *users]
    write_private(path, "\n".join(lines) + "\n")


def _port(inst: Instance) -> int:
    try:
        kept: int | None = inst.port()
    except VesselError:
        kept = None
    if kept is not None and is_free(kept):
        return kept
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port = int(s.getsockname()[1])
    inst.keep_port(port)
    return port


if __name__ == "__main__":
    sys.exit(main())
