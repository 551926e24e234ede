"""How much of KubeVela's own Application corpus Vessel renders: `python scripts/kubevela_corpus.py KUBEVELA`.

KUBEVELA is a checkout (or an extract) of github.com/kubevela/kubevela. Every YAML file under its
`docs/examples`, `test/e2e-test/testdata` and `pkg/appfile/dryrun/testdata` that holds a
`kind: Application` document is rendered the way `vessel dry-run -f FILE` renders it — the file, with
the standalone Policy/Workflow files of its directory (as KubeVela's dry-run tests pass them), Vessel's
built-in definitions, no store (VESSEL_HOME points at an empty temporary directory) — and the
summary says how many rendered and, for the others, why, grouped by reason: the types Vessel lacks when
those are all that is wrong, else the first problem reported (`-v` lists the files of each reason). A
last line counts what renders when every Application opts out of strict properties
(`app.vessel.dev/unknown-properties: warn`).

The files are read from the checkout and never copied anywhere: this script is the only thing the project
keeps of the measurement.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from vessel.errors import VesselError

DIRECTORIES = ("docs/examples", "test/e2e-test/testdata", "pkg/appfile/dryrun/testdata")
APPLICATION = re.compile(r"^kind:\s*Application\s*$", re.MULTILINE)
STANDALONE = re.compile(
    r"^apiVersion:\s*core\.oam\.dev/v1alpha1\s*\nkind:\s*(Policy|Workflow)\s*$", re.MULTILINE
)


def application_files(root: Path) -> list[Path]:
    """The YAML files under DIRECTORIES with a top-level `kind: Application` line, sorted."""
    found = []
    for directory in DIRECTORIES:
        for path in sorted((root / directory).rglob("*")):
            if path.suffix in (".yaml", ".yml") and path.is_file() and APPLICATION.search(_text(path)):
                found.append(path)
    return found


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def render(path: Path, tolerant: bool = False) -> str | None:
    """None if `path` renders as `vessel dry-run -f path` would render it, else the first reason. With
    `tolerant`, as if every Application carried `app.vessel.dev/unknown-properties: warn`."""
    from vessel.cli.dry_run import render_files
    from vessel.errors import MultipleErrors, VesselError

    try:
        if tolerant:
            _render_tolerant([path, *_standalone_beside(path)])
        else:
            render_files([path, *_standalone_beside(path)])
    except MultipleErrors as exc:
        return _reasons(exc.errors)
    except VesselError as exc:
        return _reasons([exc])
    except Exception as exc:  # a crash is a bug in Vessel: counted, and named as one
        return f"CRASH {type(exc).__name__}: {exc}"
    return None


def _render_tolerant(paths: list[Path]) -> None:
    from vessel.cli.inputs import load_inputs
    from vessel.controller.manifests import check_renders, dry_run
    from vessel.model.strictness import UNKNOWN_PROPERTIES, WARN

    loaded, registry = load_inputs(paths, [])
    for app in loaded.applications:
        tolerant = app.annotated(UNKNOWN_PROPERTIES, WARN)
        check_renders(tolerant, registry)
        dry_run(tolerant, registry)


def _standalone_beside(path: Path) -> list[Path]:
    """The files next to `path` that hold standalone Policy or Workflow objects."""
    return [
        other
        for other in sorted(path.parent.iterdir())
        if other != path and other.suffix in (".yaml", ".yml") and STANDALONE.search(_text(other))
    ]


def _reasons(errors: Sequence[VesselError]) -> str:
    """`only types Vessel lacks: a, b` when every problem is a type no definition provides (what a
    built-in or an installed definition would fix), else the first problem's reason."""
    from vessel.errors import UnknownTypeError

    if all(isinstance(e, UnknownTypeError) for e in errors):
        found = (re.search(r"type(?: version)? '([^']+)'", e.message) for e in errors)
        return "only types Vessel lacks: " + ", ".join(sorted({m.group(1) for m in found if m}))
    return _reason(errors[0])


def _reason(error: VesselError) -> str:
    """The first line of an error's message, after its field path when that says more than the message
    (`spec.components[].traits: expected array, got null`); list indices and known types left out."""
    from vessel.errors import UnknownTypeError

    first = error.message.splitlines()[0] if error.message else "(no message)"
    path = re.sub(r"\[\d+\]", "[]", error.location.path)
    shown = first if isinstance(error, UnknownTypeError) or not path else f"{path}: {first}"
    return re.sub(r" \(known: .*\)$", "", shown)[:200]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="a KubeVela checkout (or an extract of its DIRECTORIES)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the files of each reason")
    args = parser.parse_args()
    files = application_files(args.checkout)
    if not files:
        print(f"no Application files under {args.checkout} ({', '.join(DIRECTORIES)})", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as home:
        os.environ["VESSEL_HOME"] = home
        os.environ.pop("VESSEL_DATABASE_URL", None)
        reasons = {path: render(path) for path in files}
        tolerant = sum(render(path, tolerant=True) is None for path in files)
    _summary(args.checkout, reasons, args.verbose)
    print(f"with app.vessel.dev/unknown-properties: warn on every Application: {tolerant} render")
    return 0


def _summary(root: Path, reasons: dict[Path, str | None], verbose: bool) -> None:
    rendered = [p for p, r in reasons.items() if r is None]
    by_reason: dict[str, list[Path]] = defaultdict(list)
    for path, reason in reasons.items():
        if reason is not None:
            by_reason[reason].append(path)
    failed = len(reasons) - len(rendered)
    print(f"{len(rendered)} of {len(reasons)} Application files render; {failed} do not")
    for reason, paths in sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0])):
        print(f"{len(paths):4}  {reason}")
        if verbose:
            for path in paths:
                print(f"        {path.relative_to(root)}")


if __name__ == "__main__":
    sys.exit(main())
