"""A canary secret is planted in every place a secret can enter Vessel — an env `secretKeyRef` on the
local target, a Secret object delivered to a cluster, the kubeconfig's token, a webhook URL's password,
path and query (from a secret file), a notification URL (from a secret file), an HTTP step's
`Authorization` header written inline, a config's value (created, read back and printed by steps) — and
the commands a user runs are run, each as in a process of
its own: up (one application that succeeds, one whose webhook fails and whose receiver echoes what it
got), status in every form, diff after the Secret drifted, events, logs, revision list and show, ls,
run --once. Then every output, every file under VESSEL_HOME (the secrets directory aside: it is where
they are kept) and every row of every store table is searched: a canary shows nowhere, except in the
columns that must hold what the user wrote, what is re-applied, and what steps pass on (`MUST_HOLD`).
"""

from __future__ import annotations

import base64
import json
import sqlite3
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.model import redaction
from vessel.model.resource_key import ResourceKey
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer

CANARIES = {
    "env": "canary-env-5c1d9e2b7f",  # a local process's env secretKeyRef (secrets/db/password)
    "object": "canary-object-8a4f0c3e91",  # a Secret's data, inline in the Application
    "kubeconfig": "canary-kubeconfig-2e7b6d04aa",  # the kubeconfig user's token
    "password": "canary-password-9d3c5a1f0e",  # user:password@ of a webhook URL (secrets/hooks/deploy)
    "path": "canary-path-4b8e2f6a13",  # the webhook URL's path
    "query": "canary-query-7f1a9c3d52",  # the webhook URL's query
    "notification": "canary-note-3a6d8b0f27",  # a notification's URL (secrets/chat/slack)
    "header": "canary-header-0c5e7a9b14",  # a request step's Authorization header, inline
    "config": "canary-config-6e2f4b8d31",  # a config's value (create-config), read back and printed
}

# Where a canary must be: what the user wrote (a revision's spec, the workflow a run drives) and what
# is re-applied (the inventory's manifests). Each is shown only through masking and redaction.
MUST_HOLD = {
    ("revisions", "spec"): {"object", "header", "config"},
    ("runs", "steps"): {"header", "config"},
    ("inventory", "manifest"): {"object"},
    ("configs", "config"): {"config"},  # what read-config returns
    ("steps", "outputs"): {"config"},  # read-config's output, for the steps after it
    ("runs", "values"): {"config"},  # the value an output published
}

CHECK = """\
import os, sys, time
ok = os.environ.get("DB_PASSWORD") == open(sys.argv[1]).read()
print("env ok" if ok else "env wrong", flush=True)
time.sleep(600) if ok else sys.exit(3)
"""


def forms(value: str) -> set[str]:
    """How a value can be written down: as is, base64 (a Secret's data; Basic auth), URL-encoded."""
    return {value, base64.b64encode(value.encode()).decode(), urllib.parse.quote(value)}


def found_in(text: str) -> set[str]:
    """The canaries `text` holds, in any form (a Basic header holds `user:password` in base64)."""
    found = {name for name, value in CANARIES.items() if any(f in text for f in forms(value))}
    basic = base64.b64encode(f"ci:{CANARIES['password']}".encode()).decode()
    return found | ({"password"} if basic in text else set())


class Receiver(BaseHTTPRequestHandler):
    """Webhook, notification and API receiver. The webhook is refused with an answer that quotes the
    request, as careless receivers do."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/hooks/"):
            self._answer(400, f"unknown hook {self.path} ({self.headers.get('Authorization')})")
        else:
            self._answer(200, '{"ok": true}')

    do_GET = do_POST

    def _answer(self, code: int, body: str) -> None:
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json" if code == 200 else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def app_files(tmp_path: Path, home: Path, receiver: str) -> tuple[Path, Path]:
    (tmp_path / "check.py").write_text(CHECK)
    secret = base64.b64encode(CANARIES["object"].encode()).decode()
    good = f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - name: api
      type: worker
      properties:
        image: busybox
        cmd: ["{sys.executable}", "{tmp_path / "check.py"}", "{home / "secrets/db/password"}"]
        env: [{{name: DB_PASSWORD, valueFrom: {{secretKeyRef: {{name: db, key: password}}}}}}]
    - name: credentials
      type: k8s-objects
      properties:
        objects: [{{apiVersion: v1, kind: Secret, metadata: {{name: db}}, data: {{password: "{secret}"}}}}]
  policies:
    - {{name: here, type: topology, properties: {{clusters: [local]}}}}
    - {{name: there, type: topology, properties: {{clusters: [fake]}}}}
    - {{name: only-api, type: override, properties: {{selector: [api]}}}}
    - {{name: only-credentials, type: override, properties: {{selector: [credentials]}}}}
  workflow:
    steps:
      - {{name: api, type: deploy, properties: {{policies: [here, only-api]}}}}
      - {{name: credentials, type: deploy, properties: {{policies: [there, only-credentials]}}}}
      - name: tell
        type: notification
        properties: {{slack: {{url: {{secretRef: {{name: chat, key: slack}}}}, message: {{text: shipped}}}}}}
      - name: ask
        type: request
        properties:
          url: "http://{receiver}/api/deployments"
          header: {{Authorization: "Bearer {CANARIES["header"]}"}}
      - name: keep-config
        type: create-config
        properties: {{name: registry, template: registry, config: {{password: "{CANARIES["config"]}"}}}}
      - name: use-config
        type: read-config
        properties: {{name: registry}}
        outputs: [{{name: registry-password, valueFrom: config.password}}]
      - name: show-config
        type: print-message-in-status
        properties: {{message: placeholder}}
        inputs: [{{from: registry-password, parameterKey: message}}]
"""
    failing = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: hooked}
spec:
  components: []
  workflow:
    steps:
      - {name: hook, type: webhook, properties: {url: {secretRef: {name: hooks, key: deploy}}}}
"""
    (tmp_path / "good.yaml").write_text(good)
    (tmp_path / "failing.yaml").write_text(failing)
    return tmp_path / "good.yaml", tmp_path / "failing.yaml"


def plant_secrets(home: Path, receiver: str) -> None:
    files = {
        "db/password": CANARIES["env"],
        "hooks/deploy": f"http://ci:{CANARIES['password']}@{receiver}/hooks/{CANARIES['path']}"
        f"?token={CANARIES['query']}",
        "chat/slack": f"http://{receiver}/services/{CANARIES['notification']}",
    }
    for name, value in files.items():
        path = home / "secrets" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value)


def kubeconfig_with_token(server: FakeKubeServer, path: Path) -> Path:
    server.kubeconfig(path)
    config = yaml.safe_load(path.read_text())
    config["users"][0]["user"]["token"] = CANARIES["kubeconfig"]
    path.write_text(yaml.safe_dump(config))
    return path


class Session:
    """Runs commands as a user would, each in a fresh process as far as secrets go (what a process
    knows is forgotten first), and keeps everything they printed."""

    def __init__(self) -> None:
        self.runner = CliRunner()
        self.outputs: list[tuple[str, str]] = []

    def __call__(self, *args: str, code: int | None = 0) -> str:
        redaction.KNOWN.forget_all()
        result = self.runner.invoke(cli, list(args))
        printed = result.stdout + result.stderr
        self.outputs.append((" ".join(args), printed))
        assert code is None or result.exit_code == code, f"vessel {' '.join(args)}: {printed}"
        return printed


def drift_secret(server: FakeKubeServer) -> None:
    patch = json.dumps({"data": {"password": base64.b64encode(b"changed-by-hand").decode()}}).encode()
    request = urllib.request.Request(
        f"{server.url}/api/v1/namespaces/default/secrets/db",
        data=patch,
        method="PATCH",
        headers={"Content-Type": "application/merge-patch+json"},
    )
    urllib.request.urlopen(request, timeout=10).close()


def store_rows(db: Path) -> dict[tuple[str, str], list[str]]:
    """Every value of every column of every table, as text."""
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        cells: dict[tuple[str, str], list[str]] = {}
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    cells.setdefault((table, column), []).append(str(value))
        return cells
    finally:
        conn.close()


def leaks_in_files(home: Path) -> list[str]:
    """Canaries in the files under VESSEL_HOME (but its secrets): none at all, except in the store's
    own files (pages and WAL, freed ones included), which may hold only what `MUST_HOLD` allows."""
    held = set().union(*MUST_HOLD.values())
    leaks = []
    for path in sorted(p for p in home.rglob("*") if p.is_file() and "secrets" not in p.parts):
        found = found_in(path.read_bytes().decode("utf-8", "replace"))
        if path.name.startswith("vessel.db"):
            found -= held
        if found:
            leaks.append(f"{path.relative_to(home)}: {sorted(found)}")
    return leaks


@pytest.mark.timeout(120)
def test_a_canary_secret_appears_only_where_it_must(
    tmp_path: Path, isolated_home: Path, receiver: str
) -> None:
    home = isolated_home
    plant_secrets(home, receiver)
    good, failing = app_files(tmp_path, home, receiver)
    vessel = Session()
    with FakeKubeServer() as server:
        config = kubeconfig_with_token(server, tmp_path / "kubeconfig")
        vessel("target", "add", "fake", "--type", "kubernetes", "--kubeconfig", str(config))
        try:
            vessel("target", "list", "-o", "json")
            vessel("up", "-f", str(good), "--timeout", "60s")
            assert "env ok" in vessel("logs", "shop")  # the process got its secret…
            hooked = vessel("up", "-f", str(failing), "--timeout", "60s", code=1)
            assert "webhook: POST" in hooked and "answered 400: unknown hook" in hooked  # …the cause shows

            drift_secret(server)
            diff = vessel("diff", "shop", code=1)
            assert "password: '*** (before)'" in diff and "password: '*** (after)'" in diff
            for view in ("json", "yaml"):
                vessel("diff", "shop", "-o", view, code=1)
            for name in ("shop", "hooked"):
                for view in ("table", "json", "yaml"):
                    vessel("status", name, "-o", view)
                    vessel("events", name, "-o", view)
                vessel("status", name, "--tree")
                vessel("revision", "list", name)
            for view in ("yaml", "json", "table"):
                vessel("revision", "show", "shop", "1", "-o", view)
            vessel("ls", "-A")
            vessel("ls", "-A", "-o", "json")
            vessel("run", "--once")
            vessel("diff", "shop")  # the drift was corrected: nothing differs now
            vessel("events", "shop")
        finally:
            vessel("delete", "shop", "-y", code=None)  # stops its process whatever happened

    leaks = [f"vessel {cmd}: {sorted(found)}" for cmd, text in vessel.outputs if (found := found_in(text))]
    leaks += leaks_in_files(home)
    for (table, column), values in store_rows(home / "vessel.db").items():
        allowed = MUST_HOLD.get((table, column), set())
        if found := found_in("\n".join(values)) - allowed:
            leaks.append(f"store {table}.{column}: {sorted(found)}")
    assert not leaks, "secrets leaked:\n" + "\n".join(leaks)


def test_dry_run_prints_the_users_own_secret_as_kubectl_and_vela_do(tmp_path: Path) -> None:
    """dry-run renders the user's file for `kubectl apply` or a GitOps repository: masking it would make
    its output wrong, and it reads no store and no secret file."""
    secret = base64.b64encode(CANARIES["object"].encode()).decode()
    (tmp_path / "app.yaml").write_text(
        f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - name: credentials
      type: k8s-objects
      properties:
        objects: [{{apiVersion: v1, kind: Secret, metadata: {{name: db}}, data: {{password: "{secret}"}}}}]
"""
    )
    result = CliRunner().invoke(cli, ["dry-run", "-f", str(tmp_path / "app.yaml")])
    assert result.exit_code == 0 and f"password: {secret}" in result.stdout


def test_a_refusal_that_quotes_a_secret_is_recorded_masked(tmp_path: Path) -> None:
    """An API server's 422 often quotes the value it refused: the step, the run, the application and
    their events record it masked, since the Secret's values are known before it is applied."""
    redaction.KNOWN.forget_all()
    h = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
    try:
        key = ResourceKey("v1", "Secret", "default", "db")
        value = CANARIES["object"]
        h.targets["mem"].reject[key] = f'data[password]: Invalid value: "{value}": too short'
        secret = base64.b64encode(value.encode()).decode()
        app = h.up(
            f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop}}
spec:
  components:
    - name: credentials
      type: k8s-objects
      properties:
        objects: [{{apiVersion: v1, kind: Secret, metadata: {{name: db}}, data: {{password: "{secret}"}}}}]
"""
        )
        run = h.store.latest_run(app.id)
        assert run is not None
        recorded = [
            app.message,
            run.message,
            *(s.message for s in h.store.steps(run.id).values()),
            *(e.message for e in h.store.events(app.id)),
        ]
        assert 'Invalid value: "***": too short' in app.message
        assert not [text for text in recorded if found_in(text)]
    finally:
        h.store.close()
