"""Provision once, bind many — on a real Kubernetes cluster (kind, k3d, any): opt-in, `pytest -m e2e` with
KUBECONFIG set (VESSEL_E2E_CONTEXT picks a context other than the current one). For each of the built-in
`postgresql` and `redis` addons: `vessel addon enable` delivers the instance (StatefulSet, Service,
generated admin Secret) to the cluster; two applications, each in a namespace of this run, bind to it
with `uses` and become healthy only because their containers reach the service through the composed URL
(DATABASE_URL / REDIS_URL: a readiness probe reads back what the container wrote); a Job run with the
second application's Secret is refused by the first's database (or key prefix); no password is in
`vessel status -o json`, `vessel events -o json` or the addon's status; and deleting the first
application with `onDelete: drop` removes its database and roles (its ACL user and keys) — checked by a
Job run with the admin Secret — while the second's stays. Needs the cluster to pull postgres:16 and
redis:7 and to provide a default StorageClass (the instance's PersistentVolumeClaim). The instance lives
in `vessel-system`, as the bindings expect: a cluster that already runs the addon is skipped, not
touched; everything this run created there (the addon's Application, its claim, the check Jobs) is
deleted at the end."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clusters_example import register, vessel
from vessel.model.resource_key import ResourceKey
from vessel.targets.kubernetes import KubernetesTarget

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.environ.get("KUBECONFIG"), reason="needs a real cluster: set KUBECONFIG"),
    pytest.mark.timeout(2700),  # the sum of the bounded waits below, with room
]

SYSTEM = "vessel-system"
APP, COMPONENT = "shop", "check"
WAIT = 300.0  # every wait on the cluster is bounded by this, and says what it waited for
LONG = "5m"  # the same bound, for the CLI's --timeout


@dataclass(frozen=True)
class Service:
    """What differs between the two addons: the image, the check the bound container runs, the Secret
    and key of the admin's and the application's password, and the scripts of the two check Jobs."""

    addon: str
    image: str
    admin_secret: str
    admin_key: str
    app_key: str
    cmd: str  # the bound container: write through the URL, then sleep
    ready: str  # its readiness probe: read it back through the URL
    isolation: str  # a Job with the second app's credentials: its own data readable, the first's refused
    dropped: str  # a Job with the admin's: GONE (and GONE_LOGIN) absent, KEPT still there


POSTGRESQL = Service(
    addon="postgresql",
    image="postgres:16",
    admin_secret="addon-postgresql-admin",
    admin_key="POSTGRES_PASSWORD",
    app_key="PGPASSWORD",
    cmd='until psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -c "CREATE TABLE IF NOT EXISTS e2e (x int);'
    ' INSERT INTO e2e VALUES (1)"; do sleep 2; done; exec sleep infinity',
    ready='[ "$(psql "$DATABASE_URL" -w -tAc "SELECT count(*) > 0 FROM e2e")" = t ]',
    isolation="""
own=$(psql -w -d "$OWN" -tAc 'SELECT count(*) > 0 FROM e2e' 2>&1); own_code=$?
other=$(psql -w -d "$OTHER" -tAc 'SELECT 1' 2>&1); other_code=$?
echo "own database $OWN: $own_code $own"
echo "other database $OTHER: $other_code $other"
[ "$own_code" = 0 ] && [ "$own" = t ] || { echo "FAIL: own database not readable"; exit 1; }
[ "$other_code" != 0 ] || { echo "FAIL: connected to the other application's database"; exit 1; }
case "$other" in *"permission denied for database"*) echo REFUSED; exit 0;; esac
echo "FAIL: refused for another reason"; exit 1
""",
    dropped="""
q() { psql -w -d postgres -v ON_ERROR_STOP=1 -tAc "$1"; }
gone=$(q "SELECT count(*) FROM pg_database WHERE datname = '$GONE'") || exit 1
roles=$(q "SELECT count(*) FROM pg_roles WHERE rolname IN ('$GONE', '$GONE_LOGIN')") || exit 1
kept=$(q "SELECT count(*) FROM pg_database WHERE datname = '$KEPT'") || exit 1
echo "database $GONE: $gone, its roles: $roles, database $KEPT: $kept"
[ "$gone" = 0 ] && [ "$roles" = 0 ] && [ "$kept" = 1 ]
""",
)

REDIS = Service(
    addon="redis",
    image="redis:7",
    admin_secret="addon-redis-admin",
    admin_key="ADMIN_PASSWORD",
    app_key="REDIS_PASSWORD",
    cmd='until [ "$(redis-cli --no-auth-warning -u "$REDIS_URL" SET "${REDIS_KEY_PREFIX}e2e" ok)" = OK ];'
    " do sleep 2; done; exec sleep infinity",
    ready='[ "$(redis-cli --no-auth-warning -u "$REDIS_URL" GET "${REDIS_KEY_PREFIX}e2e")" = ok ]',
    isolation="""
cli() { redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --user "$REDIS_USERNAME" --no-auth-warning "$@" 2>&1; }
own=$(cli GET "$OWN:e2e"); other=$(cli GET "$OTHER:e2e"); write=$(cli SET "$OTHER:e2e" stolen)
echo "own key $OWN:e2e: $own"
echo "other key $OTHER:e2e: read: $other; write: $write"
[ "$own" = ok ] || { echo "FAIL: own key not readable"; exit 1; }
case "$other" in *NOPERM*) ;; *) echo "FAIL: the other application's key was read"; exit 1;; esac
case "$write" in *NOPERM*) echo REFUSED; exit 0;; esac
echo "FAIL: the other application's key was written"; exit 1
""",
    dropped="""
cli() { redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --user "$REDIS_USERNAME" --no-auth-warning "$@"; }
users=$(cli ACL USERS) || exit 1
left=$(cli --scan --pattern "$GONE:*") || exit 1
kept=$(cli EXISTS "$KEPT:e2e") || exit 1
echo "users: $(echo $users); keys left under $GONE: [$(echo $left)]; $KEPT:e2e exists: $kept"
if echo "$users" | grep -qx "$GONE_LOGIN"; then exit 1; fi
[ -z "$left" ] && [ "$kept" = 1 ]
""",
)


@dataclass(frozen=True)
class Bound:
    """One application of this run bound to the addon: its namespace, database (key prefix) and login."""

    namespace: str

    @property
    def name(self) -> str:  # NAMESPACE_APP, '-' as '_' (docs/addons.md, *A binding*)
        return f"{self.namespace}_{APP}".replace("-", "_")

    @property
    def login(self) -> str:
        return f"{self.name}_{COMPONENT}"

    def secret(self, addon: str) -> str:
        return f"{addon}-{self.login.replace('_', '-')}"


@dataclass
class Run:
    target: KubernetesTarget
    tmp: Path
    suffix: str  # this run's, in its namespaces and the names of what it creates in vessel-system
    first: Bound
    second: Bound
    delivered: list[Bound]  # applications delivered and not deleted yet, deleted at the end
    jobs: list[ResourceKey]  # the check Jobs this run created, deleted at the end


def ok(*args: str) -> str:
    result = vessel(*args)
    assert result.exit_code == 0, f"vessel {' '.join(args)}:\n{result.output}"
    return str(result.stdout)


def application(service: Service, bound: Bound) -> str:
    """The bound application: one webservice of the addon's own image (it has the client), ready only
    once it reads back through its URL what it wrote through it. JSON, which is YAML."""
    component = {
        "name": COMPONENT,
        "type": "webservice",
        "properties": {
            "image": service.image,
            "cmd": ["sh", "-c", service.cmd],
            "readinessProbe": {
                "exec": {"command": ["sh", "-c", service.ready]},
                "periodSeconds": 3,
                "timeoutSeconds": 10,  # a client's start and a round trip through the Service
            },
        },
        "traits": [{"type": "uses", "properties": {"addon": service.addon, "onDelete": "drop"}}],
    }
    return json.dumps(
        {
            "apiVersion": "core.oam.dev/v1beta1",
            "kind": "Application",
            "metadata": {"name": APP, "namespace": bound.namespace},
            "spec": {"components": [component]},
        },
        indent=2,
    )


def secret_value(target: KubernetesTarget, namespace: str, name: str, key: str) -> str:
    live = target.get(ResourceKey("v1", "Secret", namespace, name))
    assert live is not None, f"Secret {namespace}/{name} is missing"
    data = live.get("data") or {}
    assert key in data, f"Secret {namespace}/{name} has no {key} (keys: {sorted(data)})"
    return base64.b64decode(data[key]).decode()


def run_job(run: Run, namespace: str, name: str, image: str, script: str, env: list[dict[str, Any]]) -> None:
    """Run `script` in a Job and wait (bounded) for it to succeed; its log is in the failure message."""
    key = ResourceKey("batch/v1", "Job", namespace, name)
    run.jobs.append(key)
    run.target.apply(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "backoffLimit": 2,  # the service may still be settling; a wrong answer fails every try
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {"name": "check", "image": image, "command": ["sh", "-c", script], "env": env}
                        ],
                    }
                },
            },
        }
    )
    deadline = time.monotonic() + WAIT
    state = "not created yet"
    while time.monotonic() < deadline:
        live = run.target.get(key) or {}
        status = live.get("status") or {}
        if int(status.get("succeeded") or 0) >= 1:
            return
        failed = [
            c
            for c in status.get("conditions") or []
            if c.get("type") == "Failed" and c.get("status") == "True"
        ]
        if failed:
            pytest.fail(f"Job {namespace}/{name} failed ({failed[0].get('reason')}):\n{job_log(run, key)}")
        state = json.dumps(status)
        time.sleep(2)
    pytest.fail(
        f"Job {namespace}/{name} did not succeed within {WAIT:.0f} s (status {state}):\n{job_log(run, key)}"
    )


def job_log(run: Run, key: ResourceKey) -> str:
    try:
        return "\n".join(run.target.logs(key)) or "(no log)"
    except Exception as exc:  # the log is for the message only; its absence must not hide the failure
        return f"(no log: {exc})"


def wait_gone(target: KubernetesTarget, key: ResourceKey) -> None:
    deadline = time.monotonic() + WAIT
    while target.get(key) is not None:
        assert time.monotonic() < deadline, f"{key} still exists {WAIT:.0f} s after it was deleted"
        time.sleep(2)


def secret_ref(name: str, key: str) -> dict[str, Any]:
    return {"valueFrom": {"secretKeyRef": {"name": name, "key": key}}}


def client_env(service: Service, user: str, secret: str, key: str) -> list[dict[str, Any]]:
    """The variables the addon's own client reads: where the instance is, who logs in, and the password
    by reference (the check Jobs' manifests hold no password either)."""
    if service is POSTGRESQL:
        return [
            {"name": "PGHOST", "value": f"postgresql.{SYSTEM}.svc"},
            {"name": "PGPORT", "value": "5432"},
            {"name": "PGCONNECT_TIMEOUT", "value": "10"},
            {"name": "PGUSER", "value": user},
            {"name": "PGPASSWORD", **secret_ref(secret, key)},
        ]
    return [
        {"name": "REDIS_HOST", "value": f"redis.{SYSTEM}.svc"},
        {"name": "REDIS_PORT", "value": "6379"},
        {"name": "REDIS_USERNAME", "value": user},
        {"name": "REDISCLI_AUTH", **secret_ref(secret, key)},  # redis-cli's password, on no command line
    ]


@pytest.fixture(params=[POSTGRESQL, REDIS], ids=lambda s: s.addon)
def service(request: pytest.FixtureRequest) -> Service:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, service: Service) -> Iterator[Run]:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    target = register(os.environ["KUBECONFIG"].split(os.pathsep)[0], os.environ.get("VESSEL_E2E_CONTEXT"))
    claim = ResourceKey("v1", "PersistentVolumeClaim", SYSTEM, f"data-{service.addon}-0")
    for key in (ResourceKey("apps/v1", "StatefulSet", SYSTEM, service.addon), claim):
        if target.get(key) is not None:  # the addon in use, or data kept under another admin password
            target.close()
            pytest.skip(f"{key} already exists on this cluster: this test enables, disables and deletes it")
    suffix = uuid.uuid4().hex[:6]
    first, second = Bound(f"vessel-e2e-{suffix}-a"), Bound(f"vessel-e2e-{suffix}-b")
    run = Run(target, tmp_path, suffix, first, second, [], [])
    try:
        yield run
    finally:  # best effort, each step whatever the one before did; what is left is printed
        left: list[str] = []
        for bound in run.delivered:
            if vessel("delete", APP, "-n", bound.namespace, "-y", "--timeout", LONG).exit_code != 0:
                vessel("delete", APP, "-n", bound.namespace, "-y", "--orphan")
                left.append(f"application {bound.namespace}/{APP} (orphaned: its bind/drop Jobs in {SYSTEM})")
        if vessel("addon", "disable", service.addon, "--force", "--timeout", LONG).exit_code != 0:
            left.append(f"the addon's Application addon-{service.addon} in {SYSTEM}")
        keys = [
            *run.jobs,
            claim,
            ResourceKey("v1", "Namespace", "", run.first.namespace),
            ResourceKey("v1", "Namespace", "", run.second.namespace),
        ]
        for key in keys:
            try:
                target.delete(key)
            except Exception as exc:  # cleanup goes on, and says what it left
                left.append(f"{key}: {exc}")
        target.close()
        if left:
            print("e2e cleanup left:", *left, sep="\n  ")


def test_a_bound_application_reaches_only_its_own_data_and_drop_removes_it(
    run: Run, service: Service
) -> None:
    target, first, second = run.target, run.first, run.second
    ok("addon", "enable", service.addon, "--timeout", LONG)

    for bound in (first, second):  # healthy only once the container read back what it wrote
        path = run.tmp / f"{bound.namespace}.yaml"
        path.write_text(application(service, bound))
        run.delivered.append(bound)
        ok("up", "-f", str(path), "--timeout", LONG)
        status = json.loads(ok("status", APP, "-n", bound.namespace, "-o", "json"))
        assert status["phase"] == "running", status.get("message")

    # the second application's credentials: its own data, and a refusal at the first's door
    env = [
        *client_env(service, second.login, second.secret(service.addon), service.app_key),
        {"name": "OWN", "value": second.name},
        {"name": "OTHER", "value": first.name},
    ]
    run_job(run, second.namespace, "e2e-isolation", service.image, service.isolation, env)

    # no password Vessel knows the cluster holds is in what Vessel prints
    passwords = {
        "admin": secret_value(target, SYSTEM, service.admin_secret, service.admin_key),
        **{
            b.namespace: secret_value(target, b.namespace, b.secret(service.addon), service.app_key)
            for b in (first, second)
        },
    }
    printed = [
        ok("status", APP, "-n", b.namespace, "--tree", "-o", "json")
        + ok("events", APP, "-n", b.namespace, "-o", "json")
        for b in (first, second)
    ]
    printed.append(ok("status", f"addon-{service.addon}", "-n", SYSTEM, "--tree", "-o", "json"))
    printed.append(ok("events", f"addon-{service.addon}", "-n", SYSTEM, "-o", "json"))
    printed.append(ok("addon", "status", "-o", "json"))
    for whose, password in passwords.items():
        assert len(password) >= 16, f"{whose}'s generated password is too short to be searched for"
        assert not any(password in text for text in printed), f"{whose}'s password is in Vessel's output"

    # onDelete: drop — `vessel delete` returns once the drop Job succeeded and the binding Job is gone
    binding = ResourceKey("batch/v1", "Job", SYSTEM, f"bind-{service.addon}-{first.login.replace('_', '-')}")
    assert target.get(binding) is not None, f"no binding Job {binding} (docs/addons.md names it so)"
    ok("delete", APP, "-n", first.namespace, "-y", "--timeout", LONG)
    run.delivered.remove(first)
    wait_gone(target, binding)
    superuser = "postgres" if service is POSTGRESQL else "vessel-admin"
    admin = [
        *client_env(service, superuser, service.admin_secret, service.admin_key),
        {"name": "GONE", "value": first.name},
        {"name": "GONE_LOGIN", "value": first.login},
        {"name": "KEPT", "value": second.name},
    ]
    run_job(run, SYSTEM, f"e2e-dropped-{run.suffix}", service.image, service.dropped, admin)
