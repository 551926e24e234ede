"""`vessel up` with a helmchart component, as a person runs it: the chart (here from an HTTP repository
on 127.0.0.1) is found through the installed `vessel.definitions` entry point, its objects are written
to a directory target, and values that stop rendering an object prune its file on the next `up`;
values the chart's schema refuses fail `up` with the value named."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from helm_charts import SCHEMA, ChartRepository, chart_files, serving
from vessel.cli.main import app as cli

OPTIONAL = """\
{{- if .Values.extra }}
apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-extra}
data: {on: "yes"}
{{- end }}
"""
runner = CliRunner()


def app(url: str, values: str) -> str:
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - name: web
      type: helmchart
      properties:
        url: {url}
        chart: web
        version: ^0.1.0
        values: {values}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChartRepository]:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    target = ["target", "add", "out", "--type", "directory", "--path", str(tmp_path / "out"), "--default"]
    added = runner.invoke(cli, target)
    assert added.exit_code == 0, added.output
    repository = ChartRepository()
    repository.add({**chart_files(), "templates/extra.yaml": OPTIONAL, "values.schema.json": SCHEMA})
    with serving(repository) as served:
        yield served


def up(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    (tmp_path / "app.yaml").write_text(text)
    return runner.invoke(cli, ["up", "-f", str(tmp_path / "app.yaml")])


def test_up_writes_the_charts_objects_and_prunes_what_new_values_drop(
    tmp_path: Path, repo: ChartRepository
) -> None:
    first = up(tmp_path, app(repo.url, "{replicaCount: 2, extra: true}"))
    assert first.exit_code == 0, first.output
    out = tmp_path / "out/default"
    deployment = yaml.safe_load((out / "deployment.apps/web.yaml").read_text())
    assert deployment["spec"]["replicas"] == 2
    assert (out / "configmap.core/web-settings.yaml").exists() and (
        out / "configmap.core/web-extra.yaml"
    ).exists()

    second = up(tmp_path, app(repo.url, "{replicaCount: 2, extra: false}"))
    assert second.exit_code == 0, second.output
    assert not (out / "configmap.core/web-extra.yaml").exists()
    assert (out / "configmap.core/web-settings.yaml").exists()


def test_up_with_values_the_chart_refuses_names_the_value(tmp_path: Path, repo: ChartRepository) -> None:
    result = up(tmp_path, app(repo.url, "{replicaCount: 0}"))
    assert result.exit_code != 0
    assert "values.replicaCount: minimum: got 0, want 1" in " ".join(result.output.split()), result.output


def test_up_refuses_values_from_on_a_directory_target_before_writing_anything(
    tmp_path: Path, repo: ChartRepository
) -> None:
    native = f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - name: config
      type: k8s-objects
      properties:
        objects: [{{apiVersion: v1, kind: ConfigMap, metadata: {{name: shop-config}}, data: {{a: b}}}}]
    - name: web
      type: helmchart
      dependsOn: [config]
      properties:
        chart: {{source: web, repoURL: "{repo.url}"}}
        valuesFrom: [{{kind: ConfigMap, name: web-base}}]
"""
    result = up(tmp_path, native)
    assert result.exit_code != 0
    said = " ".join(result.output.split())
    assert (
        "valuesFrom[0]: target 'out' has no Kubernetes cluster to read ConfigMap default/web-base" in said
    ), said
    assert not (tmp_path / "out/default").exists()  # not even the component delivered before it
    optional = native.replace("name: web-base}", "name: web-base, optional: true}")
    assert up(tmp_path, optional).exit_code == 0
    assert (tmp_path / "out/default/configmap.core/web-helm-release.yaml").exists()
