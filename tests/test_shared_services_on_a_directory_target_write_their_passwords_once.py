"""On a `directory` target (GitOps: it renders for Kubernetes and writes files), the shared services and
their bindings are written as they would be applied to a cluster, with the passwords a cluster target
would generate: in the Secrets' own files (mode 0600), generated when first written, kept when the files
are rewritten, and the binding Job's copy equal to the application's. Nowhere else: not in the other
files, not in Vessel's store."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bound_shop import bound_shop, vessel
from vessel.cli.main import app as cli

runner = CliRunner()
pytestmark = pytest.mark.timeout(120)


def password(out: Path, namespace: str, name: str, key: str) -> str:
    file = out / namespace / "secret.core" / f"{name}.yaml"
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    return base64.b64decode(yaml.safe_load(file.read_text().split("\n", 1)[1])["data"][key]).decode()


def test_passwords_are_generated_into_the_secret_files_once(tmp_path: Path) -> None:
    out = tmp_path / "out"
    vessel("target", "add", "git", "--type", "directory", "--path", str(out), "--default")
    vessel("addon", "enable", "postgresql")
    admin = password(out, "vessel-system", "addon-postgresql-admin", "POSTGRES_PASSWORD")
    (tmp_path / "shop.yaml").write_text(bound_shop("shop:1", "postgresql"))
    vessel("up", "-f", str(tmp_path / "shop.yaml"))
    mine = password(out, "shop", "postgresql-shop-shop-web", "PGPASSWORD")
    assert password(out, "vessel-system", "bind-postgresql-shop-shop-web", "PGPASSWORD") == mine != admin

    vessel("addon", "enable", "postgresql", "--set", "storage=5Gi")  # every file written again
    (tmp_path / "shop.yaml").write_text(bound_shop("shop:2", "postgresql"))
    vessel("up", "-f", str(tmp_path / "shop.yaml"))
    assert password(out, "vessel-system", "addon-postgresql-admin", "POSTGRES_PASSWORD") == admin
    assert password(out, "shop", "postgresql-shop-shop-web", "PGPASSWORD") == mine

    others = [p for p in out.rglob("*.yaml") if p.parent.name != "secret.core"]
    assert any("storage: 5Gi" in p.read_text() for p in others)
    stored = b"".join(p.read_bytes() for p in Path(os.environ["VESSEL_HOME"]).rglob("*") if p.is_file())
    for secret in (admin, mine):
        encoded = base64.b64encode(secret.encode())
        assert not any(secret in p.read_text() or encoded.decode() in p.read_text() for p in others)
        assert secret.encode() not in stored and encoded not in stored


def test_on_delete_drop_is_refused_on_a_directory_target(tmp_path: Path) -> None:
    """Nothing there could run the drop Job before the binding's files are removed."""
    vessel("target", "add", "git", "--type", "directory", "--path", str(tmp_path / "out"), "--default")
    vessel("addon", "enable", "bindings")
    (tmp_path / "shop.yaml").write_text(bound_shop("shop:1", "postgresql", on_delete="drop"))
    result = runner.invoke(cli, ["up", "-f", str(tmp_path / "shop.yaml")])
    assert result.exit_code != 0
    assert (
        "a directory target cannot run the Job its annotation hooks.vessel.dev/before-delete" in result.output
    )
    assert "bind with onDelete: keep" in result.output
