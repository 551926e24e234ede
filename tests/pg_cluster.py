"""A throwaway PostgreSQL 15 cluster for the test suite.

``PostgresCluster.start()`` runs initdb in a fresh temp dir, starts a server on a free port of
127.0.0.1 (durability switched off for speed) and creates the database ``vessel_test``;
``stop()`` kills it with ``pg_ctl stop -m immediate`` and deletes the temp dir.  ``stop()`` is
idempotent and also runs at interpreter exit and on SIGTERM/SIGHUP, so no server outlives the
test run.  A cluster left behind by a run that was SIGKILLed is reaped by the next ``start()``.

If ``VESSEL_TEST_DATABASE_URL`` is set nothing is started: that server is used instead.

PostgreSQL refuses to run as root, so when we are root every server-side command runs as the
``postgres`` OS user (via ``runuser`` or ``su``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

ENV_URL = "VESSEL_TEST_DATABASE_URL"
DATABASE = "vessel_test"
SUPERUSER = "postgres"
OS_USER = "postgres"
PG_VERSION = "15"
DIR_PREFIX = "vessel-pg-"
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 10
PORT_ATTEMPTS = 3

_SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "logging_collector": "off",
}


class PostgresHarnessError(RuntimeError):
    """The throwaway cluster could not be created, started or used."""


def _find_bindir() -> Path:
    versioned = Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")
    if (versioned / "pg_ctl").is_file():
        return versioned
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise PostgresHarnessError(
        f"PostgreSQL {PG_VERSION} binaries not found (looked in {versioned} and on PATH); "
        f"install PostgreSQL {PG_VERSION} or set {ENV_URL} to an existing server"
    )


def _base_dir() -> str:
    """Where clusters live: RAM (/dev/shm) when there is one — a throwaway database needs no disk, and
    creating a database there is ~15x faster than on this machine's /tmp — else the temp dir."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return str(shm)
    return tempfile.gettempdir()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _conf_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<could not read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:]) or "<empty>"


def _connect_kwargs(url: str | URL, database: str | None = None) -> dict[str, Any]:
    """psycopg.connect() keyword arguments for a SQLAlchemy URL."""
    parsed = make_url(url)
    if database is not None:
        parsed = parsed.set(database=database)
    kwargs: dict[str, Any] = parsed.translate_connect_args(username="user", database="dbname")
    kwargs.update({k: v for k, v in parsed.query.items() if isinstance(v, str)})
    kwargs.setdefault("connect_timeout", 10)
    return kwargs


class PostgresCluster:
    """One throwaway PostgreSQL cluster (or, with VESSEL_TEST_DATABASE_URL, an existing server)."""

    def __init__(self, external_url: str | None = None) -> None:
        self.external_url = external_url if external_url is not None else os.environ.get(ENV_URL) or None
        self.port: int | None = None
        self.tmpdir: Path | None = None
        self._url: str | None = None
        self._owner_pid = os.getpid()
        self._lock = threading.Lock()
        self._stopped = False

    # -- public API ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``vessel_test`` database (or of the external server)."""
        if self._url is None:
            raise PostgresHarnessError("cluster not started; call start() first")
        return self._url

    @property
    def is_external(self) -> bool:
        return self.external_url is not None

    def start(self) -> PostgresCluster:
        if self._url is not None:
            return self
        if self.external_url is not None:
            self._url = self.url_for(make_url(self.external_url).database or "postgres")
            return self
        self._stopped = False
        _reap_stale_clusters()
        self._create_tmpdir()
        _register(self)
        try:
            self._initdb()
            self._start_server()
            self.fresh_database(DATABASE)
        except BaseException:
            self.stop()
            raise
        self._url = self.url_for(DATABASE)
        return self

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL of another database on the same server."""
        if self.external_url is not None:
            base = make_url(self.external_url)
            if base.drivername == "postgresql":  # SQLAlchemy would default to psycopg2
                base = base.set(drivername="postgresql+psycopg")
        elif self.port is not None:
            base = URL.create("postgresql+psycopg", username=SUPERUSER, host="127.0.0.1", port=self.port)
        else:
            raise PostgresHarnessError("cluster not started; call start() first")
        return base.set(database=database).render_as_string(hide_password=False)

    def fresh_database(self, name: str) -> str:
        """Create an empty database ``name`` (dropping any old one) and return its URL."""
        self._admin(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)),
            sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)),
        )
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name``, terminating any sessions still connected to it."""
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def stop(self) -> None:
        """Kill the server and delete its files. Safe to call more than once; no-op for external servers."""
        if os.getpid() != self._owner_pid:  # a forked child must not kill its parent's server
            return
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._url = None
        _unregister(self)
        if self.tmpdir is None:
            return
        _destroy(self.tmpdir)
        self.tmpdir = None

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals ------------------------------------------------------------------------------

    @property
    def _datadir(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "data"

    @property
    def _logfile(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "server.log"

    def _admin(self, *statements: sql.Composed) -> None:
        maintenance = None if self.is_external else "postgres"
        base = self.external_url if self.external_url is not None else self.url_for("postgres")
        try:
            with psycopg.connect(**_connect_kwargs(base, maintenance), autocommit=True) as conn:
                for statement in statements:
                    conn.execute(statement)
        except psycopg.Error as exc:
            raise PostgresHarnessError(f"database admin on {base!r} failed: {exc}") from exc

    def _create_tmpdir(self) -> None:
        tmpdir = Path(tempfile.mkdtemp(prefix=DIR_PREFIX, dir=_base_dir()))
        self.tmpdir = tmpdir
        (tmpdir / "owner.pid").write_text(str(os.getpid()))
        if os.geteuid() == 0:
            pw = pwd.getpwnam(OS_USER)
            os.chown(tmpdir, pw.pw_uid, pw.pw_gid)
        tmpdir.chmod(0o700)
        # The unix socket path (dir + "/.s.PGSQL.<port>") must fit in sun_path (107 bytes).
        if len(str(tmpdir)) > 80:
            raise PostgresHarnessError(
                f"temp dir path {tmpdir} is too long for a unix socket; set TMPDIR to a shorter path"
            )

    def _initdb(self) -> None:
        bindir = _find_bindir()
        _run_as_postgres(
            [
                str(bindir / "initdb"),
                "-D",
                str(self._datadir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            cwd=self.tmpdir,
            what="initdb",
        )
        settings = dict(_SERVER_SETTINGS, unix_socket_directories=str(self.tmpdir))
        with (self._datadir / "postgresql.conf").open("a") as conf:  # append keeps the file's owner
            conf.write("\n# vessel test harness\n")
            conf.writelines(f"{key} = {_conf_quote(value)}\n" for key, value in settings.items())

    def _start_server(self) -> None:
        pg_ctl = str(_find_bindir() / "pg_ctl")
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self.port = _free_port()
            self._logfile.unlink(missing_ok=True)
            cmd = [pg_ctl, "start", "-D", str(self._datadir), "-l", str(self._logfile)]
            cmd += ["-o", f"-p {self.port}", "-w", "-t", str(START_TIMEOUT_S), "-s"]
            try:
                _run_as_postgres(cmd, cwd=self.tmpdir, what="pg_ctl start", timeout=START_TIMEOUT_S + 10)
                return
            except PostgresHarnessError as exc:
                log = _tail(self._logfile)
                if attempt < PORT_ATTEMPTS and "could not bind" in log:  # lost a race for the port
                    continue
                raise PostgresHarnessError(f"{exc}\n--- server log tail ---\n{log}") from exc


# -- running commands as the postgres OS user -------------------------------------------------------


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", OS_USER, "--", *cmd]
    su = shutil.which("su")
    if su:
        return [su, OS_USER, "-s", "/bin/sh", "-c", shlex.join(cmd)]
    raise PostgresHarnessError("running as root but neither runuser nor su is available")


def _run_as_postgres(cmd: list[str], *, cwd: Path | None, what: str, timeout: float = 120) -> None:
    # Output goes to a file, not a pipe: a daemonised postmaster must not hold our pipe open.
    with tempfile.TemporaryFile() as out:
        try:
            proc = subprocess.run(
                _as_postgres(cmd),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
                env=_server_env(),
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresHarnessError(f"{what} did not finish within {timeout} s") from exc
        out.seek(0)
        output = out.read().decode(errors="replace").strip()
    if proc.returncode != 0:
        raise PostgresHarnessError(f"{what} failed (exit {proc.returncode}): {output or '<no output>'}")


def _server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


# -- teardown: idempotent, at exit, on SIGTERM/SIGHUP, and reaping of SIGKILLed runs -----------------

_live: set[PostgresCluster] = set()
_live_lock = threading.Lock()
_handlers_installed = False


def _register(cluster: PostgresCluster) -> None:
    global _handlers_installed
    with _live_lock:
        _live.add(cluster)
        if _handlers_installed:
            return
        _handlers_installed = True
    atexit.register(_stop_all)
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) == signal.SIG_DFL:
                signal.signal(signum, _on_fatal_signal)


def _unregister(cluster: PostgresCluster) -> None:
    with _live_lock:
        _live.discard(cluster)


def _stop_all() -> None:
    with _live_lock:
        clusters = list(_live)
    for cluster in clusters:
        with contextlib.suppress(Exception):
            cluster.stop()


def _on_fatal_signal(signum: int, frame: FrameType | None) -> None:
    _stop_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _destroy(tmpdir: Path) -> None:
    datadir = tmpdir / "data"
    if (datadir / "postmaster.pid").exists():
        with contextlib.suppress(PostgresHarnessError):
            _run_as_postgres(
                [str(_find_bindir() / "pg_ctl"), "stop", "-D", str(datadir), "-m", "immediate", "-w", "-s"],
                cwd=tmpdir,
                what="pg_ctl stop",
                timeout=STOP_TIMEOUT_S,
            )
        _kill_postmaster(datadir)
    shutil.rmtree(tmpdir, ignore_errors=True)


def _kill_postmaster(datadir: Path) -> None:
    """Last resort if pg_ctl stop did not work: SIGKILL the postmaster named in postmaster.pid."""
    try:
        pid = int((datadir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def _reap_stale_clusters() -> None:
    """Remove clusters whose test run died without cleaning up (e.g. SIGKILL)."""
    for tmpdir in Path(_base_dir()).glob(DIR_PREFIX + "*"):
        try:
            owner = int((tmpdir / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if not _pid_alive(owner):
            with contextlib.suppress(Exception):
                _destroy(tmpdir)
