"""`vessel project create|list` and `vessel member add|remove` change the store the server reads, each
change is in the audit log with the local actor, and a mistake is one error naming what is wrong: a
role that is none, a namespace another project owns, a name that is no DNS label."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from vessel.cli.main import app as cli

runner = CliRunner()


def _vessel(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def test_projects_and_members_from_the_cli(isolated_home: Path) -> None:
    assert _vessel("user", "add", "bob")[0] == 0
    assert _vessel("project", "create", "shop", "--namespace", "shop", "--target", "mem")[0] == 0
    assert _vessel("member", "add", "shop", "bob", "developer")[0] == 0
    code, listed = _vessel("project", "list", "-o", "json")
    assert code == 0, listed
    assert json.loads(listed) == [
        {
            "name": "shop",
            "namespaces": ["shop"],
            "targets": ["mem"],
            "members": [{"user": "bob", "role": "developer"}],
        }
    ]
    assert _vessel("member", "remove", "shop", "bob")[0] == 0
    code, audit = _vessel("audit", "-o", "json")
    entries = [(e["action"], e["object"]) for e in json.loads(audit) if e["actor"].startswith("local:")]
    assert entries[-3:] == [
        ("project create", "shop"),
        ("member add developer", "shop/bob"),
        ("member remove", "shop/bob"),
    ]


def test_mistakes_are_one_error_naming_them(isolated_home: Path) -> None:
    assert _vessel("user", "add", "bob")[0] == 0
    assert _vessel("project", "create", "shop", "--namespace", "shop")[0] == 0
    code, said = _vessel("member", "add", "shop", "bob", "boss")
    assert code != 0 and "role: 'boss' is not a role" in said
    code, said = _vessel("project", "create", "other", "--namespace", "shop")
    assert code != 0 and "namespace already owned: shop (project shop)" in said
    code, said = _vessel("project", "create", "Other")
    assert code != 0 and "project name 'Other'" in said
    code, said = _vessel("member", "remove", "shop", "bob")
    assert code != 0 and "bob is not a member of project 'shop'" in said
    assert json.loads(_vessel("project", "list", "-o", "json")[1])[0]["members"] == []
