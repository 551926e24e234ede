"""`vessel project show | set | delete` change the store the server reads, through the functions the API
calls, each audited with the local actor: `set` replaces only what is given; `delete` is refused while
the project owns applications and, with `--force`, leaves them in a namespace no project owns."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from server_process import with_target
from vessel.cli.main import app as cli

runner = CliRunner()
APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: web, namespace: shop}
spec:
  components:
    - {name: web, type: webservice, properties: {image: "nginx:1"}}
"""


def _vessel(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def _shown(name: str) -> dict[str, object]:
    code, said = _vessel("project", "show", name, "-o", "json")
    assert code == 0, said
    shown: dict[str, object] = json.loads(said)
    return shown


def test_set_replaces_only_what_is_given(isolated_home: Path) -> None:
    assert _vessel("project", "create", "shop", "--namespace", "shop", "--target", "mem")[0] == 0
    assert _vessel("project", "set", "shop", "--namespace", "shop", "--namespace", "shop-staging")[0] == 0
    assert _shown("shop") == {
        "name": "shop",
        "namespaces": ["shop", "shop-staging"],
        "targets": ["mem"],
        "members": [],
    }
    assert _vessel("project", "set", "shop", "--any-target")[0] == 0
    assert _shown("shop")["targets"] == []
    code, said = _vessel("project", "set", "shop", "--any-target", "--target", "mem")
    assert code != 0 and "--any-target and --target" in said
    code, said = _vessel("project", "set", "shop", "--target", "Bad_Name")
    assert code != 0 and "target 'Bad_Name'" in said
    code, said = _vessel("project", "set", "nope", "--any-target")
    assert code != 0 and "project 'nope' not found" in said


def test_delete_is_refused_while_it_owns_applications_unless_forced(isolated_home: Path) -> None:
    with_target(isolated_home, "gitops", "directory", {"path": str(isolated_home / "gitops")})
    assert _vessel("project", "create", "shop", "--namespace", "shop")[0] == 0
    app = isolated_home / "web.yaml"
    app.write_text(APP)
    assert _vessel("up", "-f", str(app), "--no-wait")[0] == 0
    code, said = _vessel("project", "delete", "shop")
    assert code != 0 and "owns 1 application(s) in shop" in said
    assert _vessel("project", "list", "-o", "json")[1].count('"shop"') >= 1
    code, said = _vessel("project", "delete", "shop", "--force")
    assert code == 0 and "1 application(s) left" in said, said
    assert json.loads(_vessel("project", "list", "-o", "json")[1]) == []
    code, listed = _vessel("ls", "-A", "-o", "json")
    assert [a["name"] for a in json.loads(listed)] == ["web"]  # the application stays
    code, audit = _vessel("audit", "-o", "json")
    entries = [(e["action"], e["object"]) for e in json.loads(audit) if e["actor"].startswith("local:")]
    assert entries[-1] == ("project delete --force", "shop")
