"""`$(VESSEL_SOURCE_DIR)`: the directory of the Application file, so an app can run scripts shipped next to
its YAML (`cmd: [python3, "$(VESSEL_SOURCE_DIR)/server.py"]`).

Where a file lives is this machine's business, so it is never part of what is delivered: the manifest
keeps the reference as written, and the target is told the directory beside it (`apply(source_dir=…)`,
from what `vessel up` recorded for the application). The object's state keeps the directory, outside its
manifest, and every process the target (re)starts gets it as VESSEL_SOURCE_DIR — also when a later
`vessel run` in another directory restarts a crashed replica. No machine path thus enters the
Application, its revision digest (the same file applied from two checkouts is one revision) or any
delivered object. A new directory is used from the next (re)start on; like an edited script, it restarts
nothing by itself. With no directory known, a command that refers to it is refused rather than started
to fail.
"""

from __future__ import annotations

import sys

from vessel.errors import Location, TargetRejectedError
from vessel.home import vessel_home
from vessel.targets.local.objects import Workload

VAR = "VESSEL_SOURCE_DIR"


PYTHON_VAR = "VESSEL_PYTHON"
HOME_VAR = "VESSEL_HOME"


def variables(source_dir: str) -> dict[str, str]:
    """What the target provides under the container's own variables: the directory, when known, and
    VESSEL_PYTHON, the interpreter Vessel runs on, and VESSEL_HOME (what built-in components such as the
    `postgresql` addon's server run their Python entry points with, and where they keep their data)."""
    provided = {PYTHON_VAR: sys.executable, HOME_VAR: str(vessel_home())}
    if source_dir:
        provided[VAR] = source_dir
    return provided


def check(workload: Workload, source_dir: str) -> None:
    """TargetRejectedError when the workload refers to the directory and none is known (nor set by it)."""
    own = any(name == VAR for name, _ in workload.container.env)
    if source_dir or own or not workload.container.refers_to(VAR):
        return
    raise TargetRejectedError(
        f"component {workload.component!r} refers to $({VAR}), but the directory of its Application file"
        " is not known",
        Location(path="spec.template.spec.containers[0].command"),
        hint="deliver it with `vessel up -f FILE`, or give the command an absolute path",
    )
