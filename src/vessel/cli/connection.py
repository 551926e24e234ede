"""Which Vessel server the CLI talks to, if any: `VESSEL_SERVER` and `VESSEL_TOKEN`, else the config file
`vessel login` wrote. No server configured: embedded mode (the command works on the store itself).

The config file is `$VESSEL_HOME/config.json` (`~/.vessel/config.json`), or the file `VESSEL_CONFIG`
names: `{"server": URL, "token": TOKEN}`. It holds a bearer token, so it is the user's alone: written
0600 (its directory created 0700, as VESSEL_HOME always is), through a temporary file renamed over it,
so a reader never sees half of it and no other user can read it even for an instant. The environment
wins over the file, each value on its own: `VESSEL_TOKEN` alone uses the file's server with that token
(a CI job's token for the server a person logged in to), `VESSEL_SERVER` alone needs a token for it.

Nothing here imports more than the standard library: a remote command starts without the store.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from vessel.errors import ValidationError
from vessel.home import private_directory, vessel_home

SERVER_ENV, TOKEN_ENV, CONFIG_ENV = "VESSEL_SERVER", "VESSEL_TOKEN", "VESSEL_CONFIG"


@dataclass(frozen=True)
class Connection:
    """A server's base URL (no trailing slash) and the bearer token to call it with."""

    url: str
    token: str = ""

    def __repr__(self) -> str:  # never the token, whatever prints this
        return f"Connection(url={self.url!r})"


def config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV) or vessel_home() / "config.json").expanduser()


def server_url(url: str) -> str:
    """`url` as the base of every request: http(s)://host[:port][/prefix], without a trailing slash."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"{url!r} is not a server URL", hint="e.g. https://vessel.example.com:7300")
    if parts.query or parts.fragment:
        raise ValidationError(f"{url!r}: a server URL has no query or fragment")
    return url.strip().rstrip("/")


def configured() -> Connection | None:
    """The server to talk to (environment first, then the config file), or None: embedded mode."""
    saved = _read(config_path())
    url = os.environ.get(SERVER_ENV) or saved.get("server", "")
    if not url:
        if os.environ.get(TOKEN_ENV):
            raise ValidationError(
                f"{TOKEN_ENV} is set but no server is: set {SERVER_ENV} too, or `vessel login URL`"
            )
        return None
    token = os.environ.get(TOKEN_ENV) or (saved.get("token", "") if saved.get("server") == url else "")
    if not token:
        raise ValidationError(
            f"no token for the server {url}: set {TOKEN_ENV}, or `vessel login {url}`",
            hint=f"unset {SERVER_ENV} to work on this machine's store instead",
        )
    return Connection(server_url(url), token)


def _read(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):  # no config: the store's own errors say the rest
        return {}
    except OSError as exc:
        raise ValidationError(f"{path}: cannot be read: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValidationError(
            f"{path}: not a Vessel config file", hint='expected {"server": URL, "token": TOKEN}'
        )
    return data


def save(connection: Connection) -> Path:
    """Write the config file (0600, atomically); the path written."""
    path = config_path()
    private_directory(path.parent)
    text = json.dumps({"server": connection.url, "token": connection.token}, indent=2) + "\n"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()  # left by a process that died with this pid
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    return path


def forget() -> str | None:
    """Remove the config file; the server it named, or None when there was none."""
    path = config_path()
    saved = _read(path)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return saved.get("server") if saved else None
