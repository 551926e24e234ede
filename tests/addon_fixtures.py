"""Addon directories written by tests: a registry folder of addons built from a few arguments; and the
`vessel` CLI the addon tests drive them with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner, Result

from vessel.cli.main import app as cli

GREETING = """\
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata:
  name: {name}
  annotations: {{definition.oam.dev/description: "A ConfigMap holding a greeting."}}
spec:
  workload: {{definition: {{apiVersion: v1, kind: ConfigMap}}}}
  schematic:
    jinja:
      parameters:
        type: object
        properties: {{message: {{type: string, default: hello}}}}
      templates:
        kubernetes: |
          output:
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{{{ context.name }}}}
            data:
              message: {{{{ parameter.message }}}}
"""

APPLICATION = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
spec:
  components:
    - name: banner
      type: {component}
      properties:
        message: {{{{ parameter.banner }}}}
"""

BANNER_PARAMETERS = {"type": "object", "properties": {"banner": {"type": "string", "default": "hi"}}}
"""The schema of APPLICATION's one parameter."""

runner = CliRunner()


def vessel(*args: str) -> Result:
    return runner.invoke(cli, list(args))


def ok(*args: str) -> str:
    """`vessel ARGS`'s output, once it exited 0."""
    result = vessel(*args)
    assert result.exit_code == 0, result.output
    return result.output


def write_addon(
    registry: Path,
    name: str,
    version: str = "1.0.0",
    *,
    dependencies: tuple[tuple[str, str], ...] = (),
    component: str | None = None,
    parameters: dict[str, Any] | None = None,
    application: str | None = None,
    readme: str = "",
    per_version: bool = False,
    metadata: dict[str, Any] | None = None,
) -> Path:
    root = registry / name / version if per_version else registry / name
    root.mkdir(parents=True)
    meta = {"name": name, "version": version, "description": f"the {name} addon", "tags": ["test"]}
    if dependencies:
        meta["dependencies"] = [{"name": n, "version": v} for n, v in dependencies]
    meta.update(metadata or {})
    (root / "metadata.yaml").write_text(yaml.safe_dump(meta))
    if component:
        (root / "definitions").mkdir()
        (root / "definitions" / f"{component}.yaml").write_text(GREETING.format(name=component))
    if parameters is not None:
        (root / "parameters.schema.json").write_text(json.dumps(parameters))
    if application is not None:
        (root / "application.yaml").write_text(application)
    if readme:
        (root / "README.md").write_text(readme)
    return root
