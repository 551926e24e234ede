"""The core stays light: without the helm extra, `helmchart` is still listed and documented, and both
`vessel def show helmchart` and an application using it say how to enable it — never a traceback."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from helm_charts import chart_files, write_chart
from vessel.cli.main import app as cli
from vessel.helm.definition import EXTRA_MODULES

ENABLE = "pip install 'vessel[helm]'"
runner = CliRunner()


@pytest.fixture
def without_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """As on a machine where `pip install vessel` ran without `[helm]`: the modules cannot be found."""
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        return None if name in EXTRA_MODULES else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))


@pytest.mark.usefixtures("without_the_extra")
def test_def_show_says_how_to_enable_helmchart() -> None:
    result = runner.invoke(cli, ["def", "show", "helmchart"])
    assert result.exit_code == 0, result.output
    assert "not enabled" in result.output and ENABLE in " ".join(result.output.split()), result.output


@pytest.mark.usefixtures("without_the_extra")
def test_an_application_using_helmchart_says_how_to_enable_it(tmp_path: Path) -> None:
    chart = write_chart(tmp_path, chart_files())
    app = tmp_path / "app.yaml"
    app.write_text(
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: shop}\nspec:\n  components:\n"
        f"    - {{name: web, type: helmchart, properties: {{repoType: path, chart: {chart}}}}}\n"
    )
    result = runner.invoke(cli, ["dry-run", "-f", str(app)])
    assert result.exit_code == 1
    assert "helmchart components need the helm extra" in result.output and ENABLE in result.output
    assert "Traceback" not in result.output
