"""A `helmchart` component is the objects its chart renders with the values given — as `helm template
--include-crds` prints them — stamped and checked like every component's; values that fail the chart's
values.schema.json are refused with the value named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helm_charts import CRD, SCHEMA, TEST_HOOK, chart_files, helm_registry, write_chart
from vessel.definitions.registry import Registry
from vessel.errors import ChartError, VesselError
from vessel.model.parse import parse_application
from vessel.model.yaml_source import read_text
from vessel.render.application import render_application


def registry() -> Registry:
    return helm_registry()


def app(properties: str) -> str:
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop, namespace: prod}}
spec:
  components:
    - name: web
      type: helmchart
      properties: {properties}
"""


def rendered(text: str) -> dict[tuple[str, str], dict[str, Any]]:
    application = parse_application(read_text(text, "app.yaml")[0])
    (component,) = render_application(application, registry())
    return {(r.body["kind"], r.body["metadata"]["name"]): r.body for r in component.resources}


def test_a_chart_directory_renders_its_objects_with_the_values_given(tmp_path: Path) -> None:
    chart = write_chart(
        tmp_path, {**chart_files(), "crds/widgets.yaml": CRD, "templates/test.yaml": TEST_HOOK}
    )
    objects = rendered(app(f"{{repoType: path, chart: {chart}, values: {{replicaCount: 3}}}}"))
    assert set(objects) == {
        ("Deployment", "web"),
        ("ConfigMap", "web-settings"),
        ("CustomResourceDefinition", "widgets.example.com"),
    }  # NOTES.txt and the test hook are not objects to deliver
    deployment = objects["Deployment", "web"]
    assert deployment["spec"]["replicas"] == 3  # the value given
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"  # the default
    assert deployment["metadata"]["namespace"] == "prod"
    assert deployment["metadata"]["labels"]["app.oam.dev/component"] == "web"
    assert objects["ConfigMap", "web-settings"]["data"] == {"chart": "web-0.1.0"}


def test_the_deployment_is_the_workload_and_target_namespace_places_the_objects(tmp_path: Path) -> None:
    chart = write_chart(tmp_path, chart_files())
    text = app(f"{{repoType: path, chart: {chart}, targetNamespace: web-system, releaseName: shop-web}}")
    application = parse_application(read_text(text, "app.yaml")[0])
    (component,) = render_application(application, registry())
    assert component.workload.body["kind"] == "Deployment"
    assert [r.body["metadata"]["namespace"] for r in component.resources] == ["web-system", "web-system"]
    assert {r.body["metadata"]["name"] for r in component.resources} == {"shop-web", "shop-web-settings"}


def test_values_failing_the_charts_schema_name_the_value(tmp_path: Path) -> None:
    chart = write_chart(tmp_path, {**chart_files(), "values.schema.json": SCHEMA})
    with pytest.raises(ChartError) as failed:
        rendered(app(f"{{repoType: path, chart: {chart}, values: {{replicaCount: three}}}}"))
    message = str(failed.value)
    assert "values.replicaCount" in message and "integer" in message, message
    assert "app.yaml:6" in message and "component 'web'" in message, message


def test_a_chart_template_error_is_a_render_error_naming_the_template(tmp_path: Path) -> None:
    broken = {**chart_files(), "templates/broken.yaml": "kind: {{ .Values.missing.deeper }}\n"}
    chart = write_chart(tmp_path, broken)
    with pytest.raises(ChartError) as failed:
        rendered(app(f"{{repoType: path, chart: {chart}}}"))
    assert "templates/broken.yaml" in str(failed.value), str(failed.value)


def test_a_missing_chart_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(VesselError, match=r"chart: there is no chart directory or archive at .*nowhere"):
        rendered(app(f"{{repoType: path, chart: {tmp_path / 'nowhere'}}}"))


def test_a_repository_type_needs_a_repository_url() -> None:
    with pytest.raises(ChartError, match=r"url: repoType helm needs a url starting with http:// or https://"):
        rendered(app("{chart: web, url: charts.example.com}"))


def test_a_subcharts_schema_failure_names_the_value_under_the_subchart(tmp_path: Path) -> None:
    files = {
        **chart_files(),
        "charts/cache/Chart.yaml": "apiVersion: v2\nname: cache\nversion: 1.0.0\n",
        "charts/cache/values.yaml": "size: 1\n",
        "charts/cache/values.schema.json": '{"type": "object", "properties": {"size": {"type": "integer"}}}',
        "charts/cache/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cache}\n",
    }
    chart = write_chart(tmp_path, files)
    assert ("ConfigMap", "cache") in rendered(app(f"{{repoType: path, chart: {chart}}}"))  # subcharts render
    with pytest.raises(ChartError, match=r"values\.cache\.size: got string, want integer .*chart cache\)"):
        rendered(app(f"{{repoType: path, chart: {chart}, values: {{cache: {{size: big}}}}}}"))


def test_a_dependency_missing_from_the_chart_is_refused_not_skipped(tmp_path: Path) -> None:
    declared = "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n  - {name: cache, version: 1.0.0}\n"
    chart = write_chart(tmp_path, {**chart_files(), "Chart.yaml": declared})
    with pytest.raises(ChartError, match=r"declares dependencies missing from its charts/ folder: cache"):
        rendered(app(f"{{repoType: path, chart: {chart}}}"))
