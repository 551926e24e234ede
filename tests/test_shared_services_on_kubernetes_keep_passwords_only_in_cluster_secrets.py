"""Provision once, bind many — on a Kubernetes target (a fake API server: it runs no pods, so what is
checked is what the cluster is asked to hold). `addon enable postgresql|redis` delivers a StatefulSet
(data on a PersistentVolumeClaim), a Service and an admin Secret whose password the target generates;
an application bound with `uses` gets a Secret with a generated password of its own, its copy for the
binding Job in vessel-system, that Job, and env wired from them (DATABASE_URL/REDIS_URL composed by
Kubernetes' `$(VAR)` expansion). Every password is generated once and never changed by a later apply,
and none appears in a revision, the store, events, `vessel status -o json` or dry-run output."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bound_shop import bound_shop, vessel
from vessel.cli.main import app as cli
from vessel.testing.fake_kube import FakeKubeServer
from vessel.testing.fake_kube.errors import KubeError

runner = CliRunner()
pytestmark = pytest.mark.timeout(180)
SYSTEM = "vessel-system"


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKubeServer]:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    with FakeKubeServer() as server:
        kubeconfig = server.kubeconfig(tmp_path / "kubeconfig", namespace="default")
        vessel("target", "add", "k", "--type", "kubernetes", "--kubeconfig", str(kubeconfig), "--default")
        yield server


def value(server: FakeKubeServer, namespace: str, name: str, key: str) -> str:
    data = server.get("secrets", namespace, name).get("data") or {}
    assert key in data, f"Secret {namespace}/{name} has no {key}: {sorted(data)}"
    return base64.b64decode(data[key]).decode()


def env_of(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def deliver(tmp_path: Path, image: str = "shop:1") -> None:
    (tmp_path / "shop.yaml").write_text(bound_shop(image, "postgresql", "redis"))
    vessel("up", "-f", str(tmp_path / "shop.yaml"), "--timeout", "60s")


def passwords(server: FakeKubeServer) -> dict[str, str]:
    return {
        "postgresql admin": value(server, SYSTEM, "addon-postgresql-admin", "POSTGRES_PASSWORD"),
        "redis admin": value(server, SYSTEM, "addon-redis-admin", "ADMIN_PASSWORD"),
        "postgresql app": value(server, "shop", "postgresql-shop-shop-web", "PGPASSWORD"),
        "redis app": value(server, "shop", "redis-shop-shop-web", "REDIS_PASSWORD"),
    }


@pytest.mark.parametrize(
    ("addon", "key", "port"), [("postgresql", "POSTGRES_PASSWORD", 5432), ("redis", "ADMIN_PASSWORD", 6379)]
)
def test_enabling_delivers_a_statefulset_a_service_and_a_generated_admin_secret(
    cluster: FakeKubeServer, addon: str, key: str, port: int
) -> None:
    vessel("addon", "enable", addon)
    sts = cluster.get("statefulsets", SYSTEM, addon)
    assert sts["status"]["readyReplicas"] == 1
    (claim,) = sts["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    (container,) = sts["spec"]["template"]["spec"]["containers"]
    refs = [e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e]
    assert {"name": f"addon-{addon}-admin", "key": key} in refs
    assert cluster.get("services", SYSTEM, addon)["spec"]["ports"][0]["port"] == port
    password = value(cluster, SYSTEM, f"addon-{addon}-admin", key)
    assert len(password) == 32  # secrets.token_urlsafe(24)
    vessel("workflow", "restart", f"addon-{addon}", "-n", SYSTEM)  # applied again: the password stays
    vessel("addon", "enable", addon, "--set", "storage=2Gi")  # a new revision: the Secret applied again
    assert cluster.get("statefulsets", SYSTEM, addon)["spec"]["volumeClaimTemplates"][0]["spec"][
        "resources"
    ] == {"requests": {"storage": "2Gi"}}
    assert value(cluster, SYSTEM, f"addon-{addon}-admin", key) == password


def test_a_bound_application_reads_its_own_generated_credentials_through_env(
    cluster: FakeKubeServer, tmp_path: Path
) -> None:
    vessel("addon", "enable", "postgresql")
    vessel("addon", "enable", "redis")
    deliver(tmp_path)
    env = env_of(cluster.get("deployments", "shop", "web"))
    assert env["PGHOST"] == "postgresql.vessel-system.svc" and env["PGPORT"] == "5432"
    assert (env["PGDATABASE"], env["PGUSER"]) == ("shop_shop", "shop_shop_web")  # a login per component
    assert env["PGPASSWORD"] == {"secretKeyRef": {"name": "postgresql-shop-shop-web", "key": "PGPASSWORD"}}
    assert env["DATABASE_URL"] == "postgresql://$(PGUSER):$(PGPASSWORD)@$(PGHOST):$(PGPORT)/$(PGDATABASE)"
    assert env["REDIS_PASSWORD"] == {"secretKeyRef": {"name": "redis-shop-shop-web", "key": "REDIS_PASSWORD"}}
    assert env["REDIS_URL"] == "redis://$(REDIS_USERNAME):$(REDIS_PASSWORD)@$(REDIS_HOST):$(REDIS_PORT)/0"
    assert env["REDIS_USERNAME"] == "shop_shop_web" and env["REDIS_KEY_PREFIX"] == "shop_shop:"

    # the binding Job, beside the instance, reads the app's password from a copy there, and the admin's
    mine = value(cluster, "shop", "postgresql-shop-shop-web", "PGPASSWORD")
    assert value(cluster, SYSTEM, "bind-postgresql-shop-shop-web", "PGPASSWORD") == mine
    job = cluster.get("jobs", SYSTEM, "bind-postgresql-shop-shop-web")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    job_env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert (job_env["APP_NAME"], job_env["APP_LOGIN"]) == ("shop_shop", "shop_shop_web")
    assert job_env["APP_PASSWORD"] == {
        "secretKeyRef": {"name": "bind-postgresql-shop-shop-web", "key": "PGPASSWORD"}
    }
    assert job_env["PGPASSWORD"] == {
        "secretKeyRef": {"name": "addon-postgresql-admin", "key": "POSTGRES_PASSWORD"}
    }
    assert "ALTER ROLE" in container["command"][2] and "REVOKE ALL ON DATABASE" in container["command"][2]
    redis_job = cluster.get("jobs", SYSTEM, "bind-redis-shop-shop-web")["spec"]["template"]["spec"]
    assert "ACL SETUSER" in redis_job["containers"][0]["command"][2]
    assert value(cluster, SYSTEM, "bind-redis-shop-shop-web", "REDIS_PASSWORD") == value(
        cluster, "shop", "redis-shop-shop-web", "REDIS_PASSWORD"
    )
    status = json.loads(vessel("status", "shop", "-n", "shop", "-o", "json"))
    assert status["phase"] == "running"


def test_passwords_are_generated_once_and_never_shown_or_stored(
    cluster: FakeKubeServer, tmp_path: Path
) -> None:
    shown = vessel("addon", "enable", "postgresql") + vessel("addon", "enable", "redis")
    deliver(tmp_path)
    first = passwords(cluster)
    assert len(set(first.values())) == 4  # each generated on its own
    shown += vessel("up", "-f", str(tmp_path / "shop.yaml"), "--timeout", "60s")  # the same revision
    deliver(tmp_path, image="shop:2")  # a new revision: the Secrets are applied again
    assert passwords(cluster) == first

    shown += vessel("status", "shop", "-n", "shop", "-o", "json")
    shown += vessel("status", "addon-postgresql", "-n", SYSTEM, "-o", "json")
    shown += vessel("events", "shop", "-n", "shop") + vessel("events", "addon-redis", "-n", SYSTEM)
    shown += vessel("dry-run", "-f", str(tmp_path / "shop.yaml"))
    shown += vessel("revision", "list", "shop", "-n", "shop")
    shown += runner.invoke(cli, ["diff", "shop", "-n", "shop"]).output  # live Secrets hold data: masked
    stored = b"".join(p.read_bytes() for p in (tmp_path / "home").rglob("*") if p.is_file())
    for who, password in first.items():
        encoded = base64.b64encode(password.encode())
        assert password not in shown and encoded.decode() not in shown, f"{who} password shown"
        assert password.encode() not in stored and encoded not in stored, f"{who} password stored"


def test_deleting_the_application_removes_its_binding_objects_and_keeps_the_instance(
    cluster: FakeKubeServer, tmp_path: Path
) -> None:
    vessel("addon", "enable", "postgresql")
    deliver(tmp_path, image="shop:1")
    admin = value(cluster, SYSTEM, "addon-postgresql-admin", "POSTGRES_PASSWORD")
    vessel("delete", "shop", "-n", "shop", "--yes", "--timeout", "60s")
    for kind, namespace, name in [
        ("secrets", "shop", "postgresql-shop-shop-web"),
        ("secrets", SYSTEM, "bind-postgresql-shop-shop-web"),
        ("jobs", SYSTEM, "bind-postgresql-shop-shop-web"),
    ]:
        with pytest.raises(KubeError):
            cluster.get(kind, namespace, name)
    assert cluster.get("statefulsets", SYSTEM, "postgresql")["status"]["readyReplicas"] == 1
    assert value(cluster, SYSTEM, "addon-postgresql-admin", "POSTGRES_PASSWORD") == admin
