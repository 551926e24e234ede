"""Strict stays the default: a property no definition declares is refused, with what was probably meant.
An application annotated `app.vessel.dev/unknown-properties: warn` has its unknown properties dropped
before rendering (the template never sees them, as KubeVela's never does) and warned about — by
dry-run on stderr and by `vessel status` from the stored revision; an unknown mode is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.controller.status import status_of
from vessel.errors import VesselError
from vessel.model import parse_application, read_text
from vessel.model.resource_key import ResourceKey
from vessel.testing.engine import Harness

STRICT = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: brought
spec:
  components:
    - name: web
      type: webservice
      properties: {image: nginx, cpus: "0.5"}
      traits:
        - type: scaler
          properties: {replicas: 2, replica: 3}
"""
TOLERANT = STRICT.replace(
    "  name: brought\n", "  name: brought\n  annotations:\n    app.vessel.dev/unknown-properties: warn\n"
)
WEB = ResourceKey("apps/v1", "Deployment", "default", "web")
runner = CliRunner()


def dry_run(tmp_path: Path, text: str) -> tuple[int, str, str]:
    (tmp_path / "app.yaml").write_text(text)
    result = runner.invoke(cli, ["dry-run", "-f", str(tmp_path / "app.yaml")])
    return result.exit_code, result.stdout, result.stderr


def test_unknown_properties_are_refused_by_default_with_a_suggestion(tmp_path: Path) -> None:
    code, _, stderr = dry_run(tmp_path, STRICT)
    assert code == 1
    assert "spec.components[0].properties.cpus: unknown field (did you mean `cpu`?)" in stderr
    assert (
        "spec.components[0].traits[0].properties.replica: unknown field (did you mean `replicas`?)" in stderr
    )


def test_an_application_that_opts_out_renders_without_them_and_is_warned(tmp_path: Path) -> None:
    code, stdout, stderr = dry_run(tmp_path, TOLERANT)
    assert code == 0, stderr
    assert "cpus" not in stdout and "replica:" not in stdout and "replicas: 2" in stdout
    assert "warning: brought: " in stderr
    assert "spec.components[0].properties.cpus: unknown field, ignored" in stderr
    assert "traits[0].properties.replica: unknown field, ignored" in stderr


def test_an_unknown_strictness_mode_is_refused_naming_the_annotation() -> None:
    [doc] = read_text(TOLERANT.replace("unknown-properties: warn", "unknown-properties: ignore"), "app.yaml")
    with pytest.raises(VesselError, match=r"metadata.annotations\['app.vessel.dev/unknown-properties'\]: "):
        parse_application(doc)


@pytest.fixture
def h(store_url: str) -> Iterator[Harness]:
    harness = Harness.create(store_url)
    yield harness
    harness.store.close()


def test_status_says_the_warnings_of_the_delivered_revision(h: Harness) -> None:
    record = h.up(TOLERANT)
    assert h.targets["mem"].objects[WEB]["spec"]["replicas"] == 2
    warnings = status_of(h.controller, h.record("brought"))["warnings"]
    assert len(warnings) == 2, warnings
    assert "spec.components[0].properties.cpus: unknown field, ignored" in warnings[0]
    assert "spec.components[0].traits[0].properties.replica: unknown field, ignored" in warnings[1]
    assert record.revision == 1


def test_up_warns_about_each_unknown_property_it_ignores(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        runner.invoke(
            cli, ["target", "add", "out", "--type", "directory", "--path", str(out), "--default"]
        ).exit_code
        == 0
    )
    (tmp_path / "app.yaml").write_text(TOLERANT)
    result = runner.invoke(cli, ["up", "-f", str(tmp_path / "app.yaml"), "--timeout", "30s"])
    assert result.exit_code == 0, result.output
    assert (
        "warning: brought: " in result.stderr and "properties.cpus: unknown field, ignored" in result.stderr
    )
