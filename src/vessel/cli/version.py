"""`vessel version [-o table|json|yaml]`: which Vessel this is, on which Python (as `kubectl version` and
`vela version` say which client they are). `vessel --version` prints the short form."""

from __future__ import annotations

import platform
from typing import Any

from vessel import __version__
from vessel.cli.output import View, ViewOption, show
from vessel.cli.report import out


def version_document() -> dict[str, Any]:
    return {
        "version": __version__,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": f"{platform.system().lower()}/{platform.machine()}",
    }


def version(output: ViewOption = View.table) -> None:
    """Print Vessel's version, and the Python and platform it runs on."""
    show(version_document(), output, _table)


def _table(doc: dict[str, Any]) -> None:
    out.print(f"Version:  {doc['version']}")
    out.print(f"Python:   {doc['python']} ({doc['implementation']})")
    out.print(f"Platform: {doc['platform']}")
