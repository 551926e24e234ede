"""Options shared by several commands, declared once."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from vessel.cli.completion import complete_application


class Format(StrEnum):
    yaml = "yaml"
    json = "json"


Files = Annotated[
    list[Path], typer.Option("-f", "--file", help="Application (and definition) YAML file; repeatable.")
]
Definitions = Annotated[
    list[Path] | None,
    typer.Option(
        "--definitions",
        help="Directory (or file) of extra definitions; repeatable. Also read from VESSEL_DEFINITIONS.",
    ),
]
Output = Annotated[Format, typer.Option("-o", "--output", help="Output format.")]
Namespace = Annotated[str, typer.Option("-n", "--namespace", help="The application's namespace.")]
Name = Annotated[str, typer.Argument(help="Application name.", autocompletion=complete_application)]
