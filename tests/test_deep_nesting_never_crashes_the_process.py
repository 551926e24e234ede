"""Deep nesting is an error naming the file, line and field — never a crash of the process.

PyYAML's composer recurses once per level: 60 KB of `[[[…` (30,000 levels) used to kill `vessel` with
SIGSEGV before the nesting cap was checked. The cap is now enforced on the parser's event stream,
before composing — for Application files and for the YAML a definition's template produces (parsed in
the engine's own process, whether the template ran in-process or in a worker). The crash cases run the
real `vessel` command, since a SIGSEGV would take the test process with it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from vessel.errors import ParseError
from vessel.model import read_text

LEVELS = 30_000

DEFINITION = """\
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {{name: deep}}
spec:
  workload: {{definition: {{apiVersion: v1, kind: ConfigMap}}}}
  schematic:
    jinja:
      parameters: {{type: object, properties: {{}}}}
      templates:
        kubernetes: |
          output:
            apiVersion: v1
            kind: ConfigMap
            metadata: {{name: x}}
            data: {{a: {nested} }}
---
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: deep}}
spec:
  components: [{{name: api, type: deep}}]
"""
IN_A_WORKER = "{% for i in range(30000) %}[{% endfor %}{% for i in range(30000) %}]{% endfor %}"

CRASHERS = {
    "flow sequences in an Application": (
        "a: " + "[" * LEVELS + "]" * LEVELS + "\n",
        r"app.yaml:1: a\[0\]\[0\].*: nesting deeper than 64 levels",
    ),
    "block sequences on one line": ("- " * LEVELS + "x\n", r"app.yaml:1: \[0\]\[0\].*: nesting deeper"),
    "flow mappings": ("a: " + "{b: " * LEVELS + "1" + "}" * LEVELS + "\n", r"app.yaml:1: a\.b\.b.*: nesting"),
    "a loop-free template's output": (
        DEFINITION.format(nested="[" * LEVELS + "]" * LEVELS),
        r"template deep/kubernetes: output line 5 nests deeper than 64 levels \(the cap\)",
    ),
    "a worker template's output": (
        DEFINITION.format(nested=IN_A_WORKER),
        r"template deep/kubernetes: output line 5 nests deeper than 64 levels \(the cap\)",
    ),
}


@pytest.mark.parametrize("case", list(CRASHERS), ids=list(CRASHERS))
def test_tens_of_thousands_of_levels_are_one_error_line_not_a_crash(tmp_path: Path, case: str) -> None:
    text, expected = CRASHERS[case]
    (tmp_path / "app.yaml").write_text(text)
    vessel = Path(sys.executable).parent / "vessel"
    proc = subprocess.run(
        [str(vessel), "dry-run", "-f", "app.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=50
    )
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-500:])
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert re.search(expected, proc.stderr), proc.stderr


def test_sixty_four_levels_are_read_and_sixty_five_are_refused() -> None:
    (doc,) = read_text("a: " + "[" * 63 + "1" + "]" * 63)  # the scalar is 64 levels below the root
    value, levels = doc.data["a"], 1
    while isinstance(value, list):
        value, levels = value[0], levels + 1
    assert (value, levels) == (1, 64)
    with pytest.raises(ParseError, match=r"f.yaml:2: spec.x\[0\]\[0\].*: nesting deeper than 64 levels"):
        read_text("spec:\n  x: " + "[" * 66 + "]" * 66, "f.yaml")
