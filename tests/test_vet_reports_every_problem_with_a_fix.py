"""`vessel vet FILE…` reports every problem of a KubeVela Application in one pass — past an unknown field
of the Application itself, past a file that does not read — each with its file, line and field and,
when a declared name is close, what was probably meant; exit 1 if anything is wrong, 0 if not."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.model.suggest import did_you_mean

TYPOS = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: typos}
spec:
  components:
    - name: web
      type: webservice
      properties:
        image: nginx
        cpus: "0.5"
      traits:
        - type: scalar
          properties: {replicas: 2}
    - name: db
      type: worker
      dependOn: [web]
      properties: {image: postgres}
"""
runner = CliRunner()


def vet(tmp_path: Path, **files: str) -> tuple[int, str, str]:
    paths = []
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    result = runner.invoke(cli, ["vet", *paths])
    return result.exit_code, result.stdout, result.stderr


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def test_every_problem_of_an_application_is_reported_at_once_with_a_fix(tmp_path: Path) -> None:
    code, stdout, stderr = vet(tmp_path, **{"app.yaml": TYPOS})
    assert code == 1
    found = errors(stderr)
    assert len(found) == 3, stderr
    assert "app.yaml:10: spec.components[0].properties.cpus: unknown field (did you mean `cpu`?)" in found[0]
    assert (
        "app.yaml:12: spec.components[0].traits[0].type: unknown trait type 'scalar' (did you mean"
        in found[1]
    )
    assert "app.yaml:16: spec.components[1].dependOn: unknown field (did you mean `dependsOn`?)" in found[2]
    assert "1 application: 3 problems" in stdout


def test_a_file_that_does_not_read_does_not_hide_the_others(tmp_path: Path) -> None:
    code, _, stderr = vet(tmp_path, **{"broken.yaml": "kind: [", "app.yaml": TYPOS})
    assert code == 1
    assert any("broken.yaml" in line for line in errors(stderr))
    assert any("did you mean `cpu`?" in line for line in errors(stderr))


def test_a_correct_file_vets_clean_and_still_shows_its_warnings(tmp_path: Path) -> None:
    tolerant = TYPOS.replace(
        "metadata: {name: typos}",
        "metadata:\n  name: typos\n  annotations:\n    app.vessel.dev/unknown-properties: warn",
    )
    tolerant = tolerant.replace("type: scalar", "type: scaler").replace("dependOn", "dependsOn")
    code, stdout, stderr = vet(tmp_path, **{"app.yaml": tolerant})
    assert code == 0, stderr
    assert "cpus: unknown field, ignored" in stderr and "did you mean `cpu`?" in stderr
    assert "1 application: no problems, 1 warning" in stdout


def test_only_close_names_are_suggested() -> None:
    assert did_you_mean("cpus", ["cpu", "memory", "image"]) == " (did you mean `cpu`?)"
    assert did_you_mean("replica", ["replicas"]) == " (did you mean `replicas`?)"
    assert did_you_mean("zzzz", ["cpu", "memory", "image"]) == ""
