"""The process of the addon's `postgresql-server` component: `$(VESSEL_PYTHON) -m
vessel.targets.local.postgresql.server`.

It creates the cluster the first time (initdb, into VESSEL_HOME/addons/postgresql/data), keeps the port
it chose, and then *becomes* the postmaster (exec), so the local target supervises PostgreSQL itself:
its logs are the replica's log, stopping it is SIGTERM then SIGKILL after the grace, and a crash is
seen and restarted like any replica's. Whatever stops it from starting is one line on stderr and exit
status 1, which the local target reports as the cause.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from vessel.errors import VesselError
from vessel.home import private_directory, vessel_home
from vessel.targets.local.postgresql.instance import (
    SUPERUSER,
    Instance,
    bindir,
    free_port,
    instance,
    is_free,
    server_user,
)

HBA = """\
# written by Vessel: the superuser only through the private socket; applications with a password
local all postgres trust
host all all 127.0.0.1/32 scram-sha-256
"""
SOCKET_PATH_MAX = 100  # sun_path is 108 bytes, and PostgreSQL appends /.s.PGSQL.NNNNN


def main() -> int:
    try:
        argv = prepare(instance())
    except VesselError as exc:
        print(f"postgresql: {exc}", file=sys.stderr)
        return 1
    os.execv(argv[0], argv)  # never returns
    return 1


def prepare(inst: Instance) -> list[str]:
    """Everything before the exec: directories, the cluster, the port; returns the postmaster's argv."""
    user = server_user()
    binaries = bindir()
    _directories(inst, user)
    if not (inst.data / "PG_VERSION").is_file():
        _initdb(inst, binaries, user)
    port = _port(inst)
    if user is not None:
        _become(user)
    return [
        str(binaries / "postgres"),
        "-D", str(inst.data),
        "-p", str(port),
        "-c", "listen_addresses=127.0.0.1",
        "-c", f"unix_socket_directories={inst.run}",
        "-c", "logging_collector=off",
        "-c", "log_min_error_statement=panic",  # a failed statement may hold a password: never logged
    ]  # fmt: skip


def _directories(inst: Instance, user: pwd.struct_passwd | None) -> None:
    private_directory(inst.root)
    if len(f"{inst.run}/.s.PGSQL.65535") > SOCKET_PATH_MAX:
        raise VesselError(f"the socket path under {inst.run} is too long; set VESSEL_HOME to a shorter path")
    for directory in (inst.run,):
        directory.mkdir(mode=0o700, exist_ok=True)
    if user is None:
        return
    for reachable in (vessel_home(), inst.root.parent, inst.root):  # entered by postgres, not listed
        mode = stat.S_IMODE(reachable.stat().st_mode)
        reachable.chmod(mode | 0o011)
    for parent in vessel_home().resolve().parents:
        if not stat.S_IMODE(parent.stat().st_mode) & 0o001:
            raise VesselError(
                f"running as root, PostgreSQL runs as the OS user {user.pw_name!r}, which cannot enter "
                f"{parent} (above VESSEL_HOME): `chmod o+x {parent}`, or use a VESSEL_HOME it can reach"
            )
    for directory in (inst.root, inst.run):
        os.chown(directory, user.pw_uid, user.pw_gid)


def _initdb(inst: Instance, binaries: Path, user: pwd.struct_passwd | None) -> None:
    if inst.data.exists():  # an initdb that was cut off: it never held data
        shutil.rmtree(inst.data)
    command = [str(binaries / "initdb"), "-D", str(inst.data), "-U", SUPERUSER, "--auth-local=trust"]
    command += ["--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-instructions"]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        cwd=inst.root,
        user=user.pw_uid if user else None,
        group=user.pw_gid if user else None,
        extra_groups=[] if user else None,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise VesselError(f"initdb failed (exit {done.returncode}): {last}")
    (inst.data / "pg_hba.conf").write_text(HBA)  # as initdb left it: owned by the server's user


def _port(inst: Instance) -> int:
    """The port kept from the last start when it is still free, else a new free one (kept from now on)."""
    try:
        kept = inst.port()
    except VesselError:
        kept = None
    port = kept if kept is not None and is_free(kept) else free_port()
    if port != kept:
        inst.keep_port(port)
    return port


def _become(user: pwd.struct_passwd) -> None:
    os.setgroups([])
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)
    os.environ["HOME"] = user.pw_dir
    os.environ["USER"] = os.environ["LOGNAME"] = user.pw_name


if __name__ == "__main__":
    sys.exit(main())
