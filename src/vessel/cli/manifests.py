"""Printing rendered resources: YAML documents (one resource each) or a JSON `List`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

import yaml

from vessel.controller.applying import manifest_list
from vessel.render.resource import Resource

_DUMPER: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_yaml(data: Any) -> str:
    return yaml.dump(
        data, Dumper=_DUMPER, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120
    )


def write_yaml(resources: Iterable[tuple[str, Resource]], stream: TextIO) -> None:
    """Each resource as its own document, headed by a comment saying where it came from: KubeVela's
    header first (`# Application(shop with topology eu) -- Component(web)`, so what greps `vela dry-run`
    output greps this), then Vessel's detail (which template made it, and the target).

    The first item of each pair is the application's heading, optionally followed by ` @ target`."""
    for source, res in resources:
        app_name, _, target = source.partition(" @ ")
        where = f" -- target {target}" if target else ""
        stream.write(f"---\n# Application({app_name}) -- Component({res.component}) -- {res.origin}{where}\n")
        stream.write(dump_yaml(res.body))


def write_json(resources: Iterable[tuple[str, Resource]], stream: TextIO) -> None:
    json.dump(manifest_list(resources), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
