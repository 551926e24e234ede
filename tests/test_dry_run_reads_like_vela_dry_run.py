"""`vessel dry-run` reads like `vela dry-run`: `-n NS` renders into NS whatever the file says (a
topology's own namespace still wins for its placements), every object is headed by KubeVela's line
`# Application(NAME with topology T) -- Component(C)` with Vessel's detail after it, and what was read
but ignored is said on stderr, never mixed into the manifests on stdout."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from vessel.cli.main import app as cli

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop, namespace: from-file}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: nginx}
"""
TOPOLOGY = """\
  policies:
    - name: eu
      type: topology
      properties: {clusters: [local], namespace: eu}
"""
runner = CliRunner()


def dry_run(tmp_path: Path, text: str, *args: str) -> tuple[str, str]:
    file = tmp_path / "app.yaml"
    file.write_text(text)
    result = runner.invoke(cli, ["dry-run", "-f", str(file), *args])
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def namespaces(stdout: str) -> set[str]:
    return {d["metadata"]["namespace"] for d in yaml.safe_load_all(stdout) if d}


def test_namespace_option_renders_into_that_namespace(tmp_path: Path) -> None:
    assert namespaces(dry_run(tmp_path, APP, "-n", "staging")[0]) == {"staging"}
    assert namespaces(dry_run(tmp_path, APP)[0]) == {"from-file"}


def test_a_topology_namespace_still_wins_over_the_option(tmp_path: Path) -> None:
    assert namespaces(dry_run(tmp_path, APP + TOPOLOGY, "-n", "staging")[0]) == {"eu"}


def test_a_bad_namespace_option_is_refused_naming_the_option(tmp_path: Path) -> None:
    file = tmp_path / "app.yaml"
    file.write_text(APP)
    result = runner.invoke(cli, ["dry-run", "-f", str(file), "-n", "Not_A_Label"])
    assert result.exit_code == 1 and "--namespace:" in result.stderr


def test_each_object_is_headed_by_kubevelas_line_then_vessels_detail(tmp_path: Path) -> None:
    headers = [line for line in dry_run(tmp_path, APP + TOPOLOGY)[0].splitlines() if line.startswith("# ")]
    kubevela = "# Application(shop with topology eu) -- Component(web)"
    assert headers == [f"{kubevela} -- the workload -- target local"]
    plain = [line for line in dry_run(tmp_path, APP)[0].splitlines() if line.startswith("# ")]
    assert plain == ["# Application(shop) -- Component(web) -- the workload"]


def test_ignored_fields_are_noted_on_stderr_not_in_the_manifests(tmp_path: Path) -> None:
    stdout, stderr = dry_run(tmp_path, APP + "status: {phase: running}\n")
    assert "note: " in stderr and "status: ignored" in stderr
    assert "status" not in stdout and "note" not in stdout
