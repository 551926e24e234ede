"""Where Vessel keeps its state on this machine: VESSEL_HOME, default ~/.vessel."""

from __future__ import annotations

import os
from pathlib import Path


def vessel_home() -> Path:
    return Path(os.environ.get("VESSEL_HOME") or Path.home() / ".vessel").expanduser()
