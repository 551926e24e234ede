"""What the `uses` trait's Kubernetes Job runs works: its script, exactly as rendered, run the way the
container would run it (`sh -c SCRIPT` with the Job's env; psql 15 from this machine in place of the
`postgres` image's) against a real PostgreSQL as its superuser, creates each component's login in the
application's database role; running it again changes nothing; two components of one application share
the database's tables; another application's login is refused at the door.

The throwaway cluster trusts local connections (no passwords are checked), so this shows the roles,
the database and the privileges the script makes, and that it sets a password — not password checks."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from sqlalchemy.engine import make_url

from pg_cluster import PostgresCluster
from vessel.addons.catalog import BUILTIN
from vessel.definitions import build_registry, load_path
from vessel.model import parse_application, read_text
from vessel.render import ClusterVersion, RenderOptions, render_application, resources

pytestmark = pytest.mark.timeout(120)


def binding_jobs(app: str, database: str, components: list[str]) -> list[dict[str, Any]]:
    """The binding Jobs the trait renders for `components` of `app`, all bound to `database` with
    `onDelete: drop`: each carries, in an annotation, the Job the target runs before deleting it."""
    documents = [
        doc
        for a in ("bindings", "postgresql")
        for doc in load_path(Path(BUILTIN.location) / a / "definitions")
    ]
    registry = build_registry(documents=documents, plugins=False)
    bound = {"type": "uses", "properties": {"addon": "postgresql", "database": database, "onDelete": "drop"}}
    spec = {
        "components": [
            {"name": c, "type": "webservice", "properties": {"image": "x"}, "traits": [bound]}
            for c in components
        ]
    }
    text = yaml.safe_dump(
        {"apiVersion": "core.oam.dev/v1beta1", "kind": "Application", "metadata": {"name": app}, "spec": spec}
    )
    options = RenderOptions(target_type="kubernetes", target="k", cluster_version=ClusterVersion("1", "31"))
    made = resources(render_application(parse_application(read_text(text, "app.yaml")[0]), registry, options))
    return [r.body for r in made if r.body["kind"] == "Job"]


def run_job(job: dict[str, Any], cluster: PostgresCluster, password: str) -> None:
    """The Job's container, on this machine: literal env as rendered, the Secrets' values supplied, the
    host and port the test cluster's."""
    (container,) = job["spec"]["template"]["spec"]["containers"]
    url = make_url(cluster.url)
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    env |= {
        "PGHOST": str(url.host),
        "PGPORT": str(url.port),
        "PGPASSWORD": "unused",
        "APP_PASSWORD": password,
    }
    done = subprocess.run(
        container["command"],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def connect(cluster: PostgresCluster, user: str, database: str) -> psycopg.Connection[Any]:
    url = make_url(cluster.url)
    return psycopg.connect(host=url.host, port=url.port, user=user, dbname=database, autocommit=True)


def test_components_share_their_database_and_other_applications_are_refused(
    postgres_cluster: PostgresCluster,
) -> None:
    db, other = f"shop_{uuid.uuid4().hex[:8]}", f"blog_{uuid.uuid4().hex[:8]}"
    web, worker = binding_jobs("shop", db, ["web", "worker"])
    (api,) = binding_jobs("blog", other, ["api"])
    for job in (web, worker, api, web):  # the web's Job again: idempotent
        run_job(job, postgres_cluster, secrets.token_urlsafe(24))

    with connect(postgres_cluster, f"{db}_web", db) as conn:
        conn.execute("CREATE TABLE orders (item text)")
        conn.execute("INSERT INTO orders VALUES ('teapot')")
    with connect(postgres_cluster, f"{db}_worker", db) as conn:
        assert conn.execute("SELECT item FROM orders").fetchall() == [("teapot",)]
        assert conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'orders'").fetchone() == (db,)
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        connect(postgres_cluster, f"{other}_api", db)
    with connect(postgres_cluster, "postgres", "postgres") as conn:
        logins = conn.execute(
            "SELECT rolname, rolcanlogin, rolpassword IS NOT NULL FROM pg_authid"
            " WHERE rolname LIKE %s ORDER BY 1",
            (f"{db}%",),
        ).fetchall()
        assert logins == [(db, False, False), (f"{db}_web", True, True), (f"{db}_worker", True, True)]


def drop_job(job: dict[str, Any]) -> dict[str, Any]:
    hook: dict[str, Any] = json.loads(job["metadata"]["annotations"]["hooks.vessel.dev/before-delete"])
    return hook


def test_dropping_removes_a_login_and_the_last_one_takes_the_database(
    postgres_cluster: PostgresCluster,
) -> None:
    db = f"shop_{uuid.uuid4().hex[:8]}"
    web, worker = binding_jobs("shop", db, ["web", "worker"])
    for job in (web, worker):
        run_job(job, postgres_cluster, secrets.token_urlsafe(24))
    with connect(postgres_cluster, f"{db}_web", db) as conn:
        conn.execute("CREATE TABLE orders (item text)")

    def roles_and_database() -> tuple[list[str], bool]:
        with connect(postgres_cluster, "postgres", "postgres") as conn:
            roles = conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s ORDER BY 1", (f"{db}%",))
            found = conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (db,)).fetchone()
            return [str(r[0]) for r in roles.fetchall()], bool(found and found[0])

    run_job(drop_job(web), postgres_cluster, "")  # the web lets go; the worker still binds
    assert roles_and_database() == ([db, f"{db}_worker"], True)
    with connect(postgres_cluster, f"{db}_worker", db) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone() == (0,)
    run_job(drop_job(worker), postgres_cluster, "")  # the last one: database and role go
    assert roles_and_database() == ([], False)
    run_job(drop_job(worker), postgres_cluster, "")  # again (a retried Job): nothing left to drop, no error
