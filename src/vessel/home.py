"""Where Vessel keeps its state on this machine: VESSEL_HOME, default ~/.vessel.

It is private to the user running Vessel: the store holds env values, Secret data, webhook URLs with
credentials and request headers; the local target's state and logs (VESSEL_HOME/local) hold env values
and whatever the apps print; `secrets/` what `secretRef`s read. So Vessel creates it (and any missing
parent) 0700 and its files 0600, and an existing one that other users can read or enter, and that holds
any of that, is named once per command on stderr, with the fix (`exposure`) — not changed behind the
user's back: they may share it on purpose. Search permission alone (0711) is not counted: others can enter
but not list it, and reach nothing of what it holds, each 0700/0600 itself — the mode the local target's
shared PostgreSQL needs when Vessel runs as root (`targets/local/postgresql/instance`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

HELD = ("vessel.db", "local", "secrets")  # what VESSEL_HOME holds that others must not read


def vessel_home() -> Path:
    return Path(os.environ.get("VESSEL_HOME") or Path.home() / ".vessel").expanduser()


def private_directory(path: Path) -> None:
    """Create `path` and its missing parents, each 0700; what exists already is left as it is. Raises
    like `Path.mkdir` (FileExistsError when it is a file, NotADirectoryError when a parent is)."""
    missing = []
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)
    path.mkdir(mode=0o700, exist_ok=True)


def exposure(home: Path | None = None) -> str | None:
    """What to tell the user when VESSEL_HOME holds Vessel's state and others may read or enter it; else
    None (also for a directory that holds nothing of Vessel's: the store says what is wrong with it)."""
    home = home or vessel_home()
    try:
        info = home.stat()
    except OSError:
        return None
    mode = stat.S_IMODE(info.st_mode)
    if not stat.S_ISDIR(info.st_mode) or not mode & 0o066 or not any((home / n).exists() for n in HELD):
        return None
    return (
        f"VESSEL_HOME {home} is open to other users (mode {mode:04o}); it holds the store, env values and"
        f" logs: `chmod 700 {home}`"
    )
