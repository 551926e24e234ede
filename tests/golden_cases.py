"""Golden cases for built-in definitions: properties in, manifests out.

Each file under tests/golden/<definition>/ is one case:

    description: what KubeVela behaviour this pins down
    app: {name: golden-app, namespace: default, labels: {}, annotations: {}}   # optional
    clusterVersion: "1.22"                                                 # optional, default 1.31
    targetType: local                                                      # optional, default kubernetes
    component: {name: ..., type: ..., properties: ..., traits: [...]}      # one spec.components item
    expected: [ ...manifests, in render order... ]                         # or:
    expected_error: substring of the error message

Expected manifests are written from KubeVela's CUE definitions for the same properties (what `vela
dry-run` prints), not copied from Vessel's own output.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

GOLDEN = Path(__file__).parent / "golden"
FIXTURES = GOLDEN / "_fixtures"


@dataclass(frozen=True)
class Case:
    definition: str
    name: str
    path: Path
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.definition}/{self.name}"

    @property
    def cluster_version(self) -> tuple[str, str]:
        major, _, minor = str(self.data.get("clusterVersion", "1.31")).partition(".")
        return major, minor

    def application(self) -> dict[str, Any]:
        app = {"name": "golden-app", "namespace": "default", **self.data.get("app", {})}
        meta = {k: app[k] for k in ("name", "namespace", "labels", "annotations") if k in app}
        return {
            "apiVersion": "core.oam.dev/v1beta1",
            "kind": "Application",
            "metadata": meta,
            "spec": {"components": [self.data["component"]]},
        }


def all_cases() -> list[Case]:
    cases = []
    for folder in sorted(p for p in GOLDEN.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for file in sorted(folder.glob("*.yaml")):
            cases.append(Case(folder.name, file.stem, file, yaml.safe_load(file.read_text())))
    return cases
