"""A Git registry, from a repository created by the test: adding it resolves the ref to a commit and
records it, and the registry offers what the repository held at that commit whatever the branch does
later; its addons deliver applications like a directory's. A ref the repository lacks, a URL with a
transport Vessel does not allow, a symbolic link or a submodule in the tree, too many files or too many
bytes are refused, naming why, and nothing is added or written outside the cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from addon_fixtures import write_addon
from test_an_enabled_addons_definitions_deliver_applications import USER_APP
from vessel.addons import git_registry
from vessel.cli.main import app as cli

runner = CliRunner()


def vessel(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli, list(args))


def git(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"]
    done = subprocess.run(
        ["git", *identity, "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose tag v1 holds greetings 1.0.0, and whose main branch then moved on to 2.0.0."""
    root = tmp_path / "addons-repo"
    root.mkdir()
    git(root, "init", "-q")
    write_addon(root, "greetings", "1.0.0", component="greeting", per_version=True)
    commit_all(root, "greetings 1.0.0")
    git(root, "tag", "v1")
    write_addon(root, "greetings", "2.0.0", component="greeting", per_version=True)
    commit_all(root, "greetings 2.0.0")
    return root


def offered(registry: str) -> list[str]:
    listed = json.loads(vessel("addon", "list", "-o", "json").stdout)
    return [v for a in listed if a["registry"] == registry for v in a["versions"]]


def registries() -> list[dict[str, str]]:
    return json.loads(vessel("addon", "registry", "list", "-o", "json").stdout)  # type: ignore[no-any-return]


def refused(url: str, ref: str, *words: str) -> None:
    result = vessel("addon", "registry", "add", "team", "--git", url, "--ref", ref)
    assert result.exit_code != 0
    for word in words:
        assert word in result.output, result.output
    assert registries() == []


def test_a_tag_is_pinned_to_its_commit_and_its_addons_deliver(tmp_path: Path, repo: Path) -> None:
    tagged = git(repo, "rev-parse", "v1^{commit}")
    result = vessel("addon", "registry", "add", "team", "--git", f"file://{repo}", "--ref", "v1")
    assert result.exit_code == 0, result.output
    assert f"at commit {tagged}" in result.output
    assert [(r["kind"], r["location"]) for r in registries()] == [("git", f"file://{repo}#{tagged}")]
    assert offered("team") == ["1.0.0"]  # what v1 holds, not the branch's 2.0.0

    out = tmp_path / "out"
    assert (
        vessel("target", "add", "out", "--type", "directory", "--path", str(out), "--default").exit_code == 0
    )
    result = vessel("addon", "enable", "greetings")
    assert result.exit_code == 0, result.output
    assert "greetings@1.0.0 enabled" in result.output
    (tmp_path / "app.yaml").write_text(USER_APP)
    assert vessel("up", "-f", str(tmp_path / "app.yaml")).exit_code == 0
    written = yaml.safe_load((out / "default/configmap.core/greeting.yaml").read_text())
    assert written["data"] == {"message": "bonjour"}


def test_a_branch_is_pinned_to_the_commit_it_was_at(repo: Path) -> None:
    at_add = git(repo, "rev-parse", "main")
    assert vessel("addon", "registry", "add", "team", "--git", str(repo), "--ref", "main").exit_code == 0
    write_addon(repo, "greetings", "3.0.0", component="greeting", per_version=True)
    commit_all(repo, "greetings 3.0.0")
    assert offered("team") == ["2.0.0", "1.0.0"]  # main has moved on; the registry has not
    assert registries()[0]["location"] == f"{repo}#{at_add}"


def test_a_lost_cache_is_fetched_again_at_the_recorded_commit(repo: Path) -> None:
    assert vessel("addon", "registry", "add", "team", "--git", str(repo), "--ref", "v1").exit_code == 0
    shutil.rmtree(Path(os.environ["VESSEL_HOME"]) / "addons" / "git")  # another machine on the same store
    assert offered("team") == ["1.0.0"]


def test_a_ref_the_repository_lacks_is_refused(repo: Path) -> None:
    refused(str(repo), "v9", "no tag, branch or commit 'v9'")


def test_a_transport_that_runs_commands_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    refused(f"ext::sh -c touch% {marker}", "main", "not a repository URL Vessel fetches")
    assert not marker.exists()


def test_a_symbolic_link_in_the_tree_is_refused(tmp_path: Path, repo: Path) -> None:
    (repo / "greetings" / "2.0.0" / "README.md").symlink_to("/etc/passwd")
    commit_all(repo, "a link out")
    refused(str(repo), "main", "'greetings/2.0.0/README.md' is a symbolic link: refused")
    assert not [p for p in Path(os.environ["VESSEL_HOME"]).rglob("README.md") if p.is_symlink()]


def test_a_submodule_in_the_tree_is_refused(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{head},vendored")
    git(repo, "commit", "-q", "-m", "a submodule")
    refused(str(repo), "main", "'vendored' is a submodule: refused")


def test_a_tree_over_the_file_cap_is_refused(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(git_registry, "MAX_FILES", 3)
    refused(str(repo), "main", "holds more than 3 files: refused")


def test_a_tree_over_the_byte_cap_is_refused(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(git_registry, "MAX_TREE_BYTES", 1024 * 1024)
    (repo / "zeros").write_bytes(bytes(2 * 1024 * 1024))
    commit_all(repo, "a big file")
    refused(str(repo), "main", "holds more than 1048576 bytes")
