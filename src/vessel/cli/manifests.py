"""Printing rendered resources: YAML documents (one resource each) or a JSON `List`.

Resources come as (heading, resource) pairs — rendered in this process, or read back from a server's
`List` and its `sources` (`items`): anything with the resource's `component`, `origin` and `body`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

import yaml

_DUMPER: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class Rendered(Protocol):
    @property
    def component(self) -> str: ...
    @property
    def origin(self) -> str: ...
    @property
    def body(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Received:
    """A rendered resource as a server described it (`sources` beside the `List`)."""

    component: str
    origin: str
    body: dict[str, Any]


def items(document: dict[str, Any]) -> list[tuple[str, Received]]:
    """A `List` with its `sources` (what the API and `EmbeddedClient.manifests` answer) as pairs."""
    sources = document.get("sources") or [{} for _ in document["items"]]
    return [
        (s.get("source", ""), Received(s.get("component", ""), s.get("origin", ""), body))
        for s, body in zip(sources, document["items"], strict=True)
    ]


def dump_yaml(data: Any) -> str:
    return yaml.dump(
        data, Dumper=_DUMPER, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120
    )


def write_yaml(resources: Iterable[tuple[str, Rendered]], stream: TextIO) -> None:
    """Each resource as its own document, headed by a comment saying where it came from: KubeVela's
    header first (`# Application(shop with topology eu) -- Component(web)`, so what greps `vela dry-run`
    output greps this), then Vessel's detail (which template made it, and the target).

    The first item of each pair is the application's heading, optionally followed by ` @ target`."""
    for source, res in resources:
        app_name, _, target = source.partition(" @ ")
        where = f" -- target {target}" if target else ""
        stream.write(f"---\n# Application({app_name}) -- Component({res.component}) -- {res.origin}{where}\n")
        stream.write(dump_yaml(res.body))


def write_json(resources: Iterable[tuple[str, Rendered]], stream: TextIO) -> None:
    """One Kubernetes `List` of the bodies (`controller.applying.manifest_list`'s shape)."""
    listed = {"apiVersion": "v1", "kind": "List", "items": [res.body for _, res in resources]}
    json.dump(listed, stream, indent=2, ensure_ascii=False)
    stream.write("\n")
