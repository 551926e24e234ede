"""What every shared service the local target runs for an addon has: a directory under
VESSEL_HOME/addons/NAME, its data in `data/`, and the TCP port on 127.0.0.1 chosen at its first start and
kept in `instance.json` (applications bound to it keep their URL across restarts)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from vessel.errors import NotFoundError
from vessel.targets.local.binding_spec import write_private


@dataclass(frozen=True)
class SharedInstance:
    root: Path

    ADDON: ClassVar[str]
    TITLE: ClassVar[str]  # how messages name the service

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def port_file(self) -> Path:
        return self.root / "instance.json"

    def port(self) -> int:
        """The instance's TCP port; NotFoundError while it was never started."""
        try:
            return int(json.loads(self.port_file.read_text())["port"])
        except (OSError, ValueError, KeyError, TypeError):
            raise NotFoundError(
                f"the shared {self.TITLE} instance has not been started on this machine",
                hint=f"vessel addon enable {self.ADDON}",
            ) from None

    def keep_port(self, port: int) -> None:
        write_private(self.port_file, json.dumps({"port": port}))
