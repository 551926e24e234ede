"""`vessel logs --since DURATION --timestamps` as `kubectl logs` has them: each line carries the time it was
written (the local target's shim stamps replica lines as they arrive; Kubernetes' log API stamps them),
`--timestamps` shows it, `--since` keeps only recent lines, and a bad duration is a clear error."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.testing.fake_kube import FakeKubeServer

runner = CliRunner()
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"
# Writes half a line on stdout, a whole line on stderr, then the rest of the stdout line: two whole lines
# in the log, never one spliced into the other.
TALKER = (
    "import sys, time\n"
    "sys.stdout.write('par'); sys.stdout.flush()\n"
    "print('to stderr', file=sys.stderr, flush=True)\n"
    "print('tial', flush=True)\n"
    "time.sleep(600)\n"
)
LOCAL_APP = f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: talker}}
spec:
  components:
    - name: talker
      type: worker
      properties:
        image: unused
        cmd: [{sys.executable!r}, "-c", {TALKER!r}]
"""
K8S_APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop, namespace: shop}
spec:
  components:
    - {name: migrate, type: task, properties: {image: "shop/migrate:1"}}
  policies:
    - {name: there, type: topology, properties: {clusters: [k8s]}}
"""


def vessel(*args: str) -> Any:
    return runner.invoke(cli, list(args))


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out after {timeout}s"
        time.sleep(0.05)
    return value


def when(line: str) -> float:
    found = re.search(STAMP, line)
    assert found, line
    return datetime.fromisoformat(found.group().replace("Z", "+00:00")).timestamp()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    yield tmp_path
    vessel("delete", "talker")


def logs(*args: str) -> list[str]:
    result = vessel("logs", "talker", *args)
    assert result.exit_code == 0, result.output
    return sorted(result.stdout.splitlines())


def test_local_lines_are_stamped_as_written_and_since_keeps_the_recent_ones(home: Path) -> None:
    (home / "app.yaml").write_text(LOCAL_APP)
    before = time.time()
    up = vessel("up", "-f", str(home / "app.yaml"), "--timeout", "60s")
    assert up.exit_code == 0, up.output
    expected = ["talker | talker-0 | partial", "talker | talker-0 | to stderr"]
    wait_for(lambda: logs() == expected)
    after = time.time()

    stamped = logs("--timestamps")
    assert sorted(re.sub(STAMP + " ", "", line) for line in stamped) == expected
    assert all(before - 0.001 <= when(line) <= after for line in stamped)

    log = next((home / "home" / "local").rglob("talker-0.log"))
    with log.open("a") as file:  # a line written ten minutes ago, and one from before lines were stamped
        file.write(datetime.fromtimestamp(time.time() - 600, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ "))
        file.write("from long ago\nunstamped\n")
    assert "talker | talker-0 | unstamped" in logs()
    assert logs("--since", "1m") == expected
    recent = logs("--since", "1h")
    assert "talker | talker-0 | from long ago" in recent and "talker | talker-0 | unstamped" not in recent

    for bad in ("soon", "0s"):
        refused = vessel("logs", "talker", "--since", bad)
        assert refused.exit_code == 1 and "--since" in refused.stderr and "Traceback" not in refused.output


def test_kubernetes_since_and_timestamps_go_to_the_log_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    with FakeKubeServer() as kube:
        config = kube.kubeconfig(tmp_path / "kubeconfig")
        assert (
            vessel("target", "add", "k8s", "--type", "kubernetes", "--kubeconfig", str(config)).exit_code == 0
        )
        (tmp_path / "app.yaml").write_text(K8S_APP)
        assert vessel("up", "-f", str(tmp_path / "app.yaml"), "--timeout", "30s").exit_code == 0
        pod = kube.pods("shop", "app.oam.dev/component=migrate")[0]["metadata"]["name"]
        kube.write_log("shop", pod, "migrate", "planned", at=time.time() - 600)
        kube.write_log("shop", pod, "migrate", "migrated 3 tables")

        recent = vessel("logs", "shop", "-n", "shop", "--since", "5m")
        assert recent.stdout.splitlines() == [f"migrate | {pod} | migrated 3 tables"]
        stamped = vessel("logs", "shop", "-n", "shop", "--timestamps").stdout.splitlines()
        assert [re.sub(STAMP + " ", "", line) for line in stamped] == [
            f"migrate | {pod} | planned",
            f"migrate | {pod} | migrated 3 tables",
        ]
        assert time.time() - 601 < when(stamped[0]) < time.time() - 599
