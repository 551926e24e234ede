"""Following logs (`Target.logs(..., follow=True)`, `vessel logs --follow`) yields the lines written after
it started, on every target: the local target tails real processes' files across copy-truncate rotation
and replicas started later; the Kubernetes target streams every pod and container of a workload from the
fake API server at once and ends when the pods are gone; the CLI prints new lines as they come and stops
on Ctrl-C with exit code 130. Closing a follow releases what it holds."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vessel.cli.main import app as cli
from vessel.model.resource_key import ResourceKey
from vessel.targets.directory import DirectoryTarget
from vessel.targets.kubernetes import KubernetesTarget
from vessel.targets.local import LocalTarget, logs
from vessel.targets.memory import MemoryTarget
from vessel.targets.protocol import TargetInfo
from vessel.testing.fake_kube import FakeKubeServer

TICKER = """\
import itertools, time
for n in itertools.count():
    print("tick", n, flush=True)
    time.sleep(0.04)
"""


def ticker(replicas: int) -> dict[str, Any]:
    """A local Service whose replicas print `tick 0`, `tick 1`… every 40 ms."""
    container = {"name": "ticker", "command": [sys.executable, "-c", TICKER]}
    return {
        "apiVersion": "local.vessel.dev/v1",
        "kind": "Service",
        "metadata": {
            "name": "ticker",
            "namespace": "default",
            "labels": {"app.oam.dev/name": "clock", "app.oam.dev/component": "ticker"},
        },
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [container]}}},
    }


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out after {timeout}s"
        time.sleep(0.02)
    return value


def read_ticks(
    stream: Iterator[str], ticks: dict[str, list[int]], done: Callable[[], bool], timeout: float = 5.0
) -> None:
    """Add each `replica | tick N` line's N to `ticks[replica]` until `done()` (the ticker never stops)."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out after {timeout}s: {ticks}"
        replica, _, text = next(stream).partition(" | ")
        ticks.setdefault(replica, []).append(int(text.removeprefix("tick ")))


def consecutive(numbers: list[int]) -> bool:
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


# -- local ------------------------------------------------------------------------------------------


@pytest.fixture
def local(tmp_path: Path) -> Iterator[LocalTarget]:
    config = {"path": str(tmp_path / "state"), "grace": 0.5, "ports": "24100-24199"}
    target = LocalTarget(TargetInfo("laptop", "local", config=config))
    try:
        yield target
    finally:
        target.delete(ResourceKey.of(ticker(1)))  # stops every replica
        target.close()


def test_local_follow_yields_new_lines_across_rotation_and_replicas_started_later(
    local: LocalTarget, tmp_path: Path
) -> None:
    key = ResourceKey.of(ticker(1))
    local.apply(ticker(1))
    wait_for(lambda: list(local.logs(key)))
    started = len(list(local.logs(key)))
    log = tmp_path / "state" / "default" / "clock" / "ticker" / "logs" / "ticker-0.log"
    ticks: dict[str, list[int]] = {}

    stream = local.logs(key, tail=1, follow=True)
    read_ticks(stream, ticks, lambda: len(ticks.get("ticker-0", [])) >= 4)
    assert ticks["ticker-0"][0] >= started - 1 and consecutive(ticks["ticker-0"])  # the tail, then new lines

    local.apply(ticker(2))  # ticker-1's file appears while following: read from its first line
    read_ticks(stream, ticks, lambda: len(ticks.get("ticker-1", [])) >= 3)
    assert ticks["ticker-1"][:3] == [0, 1, 2]

    time.sleep(0.2)  # the follow reads only when asked: ticker-0 writes lines it has not read yet
    rotated_at = ticks["ticker-0"][-1]
    assert logs.rotate(log, max_bytes=0)  # copy-truncate, as the target does past 10 MiB
    assert log.with_name("ticker-0.log.1").stat().st_size > 0
    read_ticks(stream, ticks, lambda: ticks["ticker-0"][-1] >= rotated_at + 5)
    assert consecutive(ticks["ticker-0"]) and consecutive(ticks["ticker-1"])  # nothing lost, nothing twice

    stream.close()
    assert next(stream, None) is None
    open_files = [os.readlink(fd) for fd in Path("/proc/self/fd").iterdir() if fd.is_symlink()]
    assert not [f for f in open_files if "/logs/" in f]


def test_a_followed_file_holds_unfinished_lines_and_ends_with_its_object(tmp_path: Path) -> None:
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_bytes(b"old 1\nold 2\npart")
    files: list[dict[str, Path] | None] = [{"a": a}]
    deadline = time.monotonic() + 3

    def replicas() -> dict[str, Path] | None:  # asked at every look: a line that never comes fails here
        assert time.monotonic() < deadline, "the expected line never came"
        return files[-1]

    stream = logs.follow(replicas, tail=1, poll=0.01)  # a generator: it looks only when asked
    assert next(stream) == ("a", "old 2")  # the unfinished "part" is not a line yet
    with a.open("ab") as file:
        file.write(b"ial\nnext\n")
    assert [next(stream), next(stream)] == [("a", "partial"), ("a", "next")]

    files.append({"a": a, "b": b})  # a replica whose file does not exist yet
    b.write_bytes(b"b first\n")
    assert next(stream) == ("b", "b first")

    with a.open("ab") as file:
        file.write(b"unread when rotated\n")
    assert logs.rotate(a, max_bytes=0)
    with a.open("ab") as file:
        file.write(b"after rotation\n")
    assert [next(stream), next(stream)] == [("a", "unread when rotated"), ("a", "after rotation")]

    files.append(None)  # the object was deleted
    assert list(stream) == []


def test_targets_without_logs_end_a_follow_at_once(tmp_path: Path) -> None:
    key = ResourceKey("apps/v1", "Deployment", "default", "web")
    assert list(MemoryTarget(TargetInfo("mem", "memory")).logs(key, follow=True)) == []
    directory = DirectoryTarget(TargetInfo("git", "directory", config={"path": str(tmp_path)}))
    assert list(directory.logs(key, 5, follow=True)) == []


# -- kubernetes -------------------------------------------------------------------------------------

WEB = ResourceKey("apps/v1", "Deployment", "default", "web")


def two_containers() -> dict[str, Any]:
    containers = [{"name": "app", "image": "shop/api:1"}, {"name": "proxy", "image": "envoy:1"}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}},
        },
    }


@pytest.fixture
def kube() -> Iterator[FakeKubeServer]:
    with FakeKubeServer() as server:
        watchdog = threading.Timer(10, server.stop)  # a hung follow fails the test instead of hanging it
        watchdog.start()
        yield server
        watchdog.cancel()


@pytest.fixture
def k8s(kube: FakeKubeServer, tmp_path: Path) -> Iterator[KubernetesTarget]:
    config = {"kubeconfig": str(kube.kubeconfig(tmp_path / "kubeconfig"))}
    target = KubernetesTarget(TargetInfo("k8s", "kubernetes", {}, config))
    target.apply(two_containers())
    yield target
    target.close()


def sources(kube: FakeKubeServer) -> list[tuple[str, str]]:
    """(pod, container) of every container of the Deployment's pods."""
    pods = sorted(p["metadata"]["name"] for p in kube.pods("default", "app=web"))
    assert len(pods) == 2
    return [(pod, container) for pod in pods for container in ("app", "proxy")]


def take(stream: Iterator[str], count: int) -> set[str]:
    return {next(stream) for _ in range(count)}


def follow_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("vessel-logs")]


def test_kubernetes_follow_streams_every_pod_and_container_until_the_pods_are_gone(
    kube: FakeKubeServer, k8s: KubernetesTarget
) -> None:
    for pod, container in sources(kube):
        kube.write_log("default", pod, container, f"{container} starting", f"{container} ready")
    stream = k8s.logs(WEB, tail=1, follow=True)
    assert take(stream, 4) == {f"{p}/{c} | {c} ready" for p, c in sources(kube)}  # every stream is open

    for pod, container in sources(kube):
        kube.write_log("default", pod, container, f"{container} new on {pod}")
    assert take(stream, 4) == {f"{p}/{c} | {c} new on {p}" for p, c in sources(kube)}
    follows = [q for m, q in kube.requests if "/log?" in q]
    assert len(follows) == 4 and all("follow=true" in q and "tailLines=1" in q for q in follows)

    started = time.monotonic()
    assert k8s.delete(WEB)  # the fake collects its pods at once: every stream ends, and so does the follow
    assert list(stream) == []
    assert time.monotonic() - started < 2
    assert not follow_threads()


def test_closing_a_kubernetes_follow_aborts_its_streams(kube: FakeKubeServer, k8s: KubernetesTarget) -> None:
    for pod, container in sources(kube):
        kube.write_log("default", pod, container, "up")
    stream = k8s.logs(WEB, follow=True)
    assert len(take(stream, 4)) == 4
    assert len(follow_threads()) == 4
    stream.close()  # the quiet streams are shut down; their threads end before close returns
    assert not follow_threads()
    pod, container = sources(kube)[0]
    kube.write_log("default", pod, container, "later")
    assert f"{pod}/{container} | later" in list(k8s.logs(WEB, tail=1))  # the client still works


# -- the CLI ----------------------------------------------------------------------------------------

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop, namespace: shop}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: "shop/api:1"}
      traits:
        - {type: scaler, properties: {replicas: 2}}
        - type: sidecar
          properties: {name: proxy, image: "envoy:1"}
  policies:
    - {name: there, type: topology, properties: {clusters: [k8s]}}
"""


@pytest.fixture
def shop(kube: FakeKubeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The application delivered to the fake cluster; its (pod, container) pairs, each with a line."""
    monkeypatch.setenv("VESSEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VESSEL_DATABASE_URL", raising=False)
    runner = CliRunner()
    config = str(kube.kubeconfig(tmp_path / "kubeconfig"))
    added = runner.invoke(cli, ["target", "add", "k8s", "--type", "kubernetes", "--kubeconfig", config])
    assert added.exit_code == 0, added.output
    (tmp_path / "app.yaml").write_text(APP)
    up = runner.invoke(cli, ["up", "-f", str(tmp_path / "app.yaml"), "--timeout", "30s"])
    assert up.exit_code == 0, up.output
    pods = sorted(p["metadata"]["name"] for p in kube.pods("shop", "app.oam.dev/component=api"))
    pairs = [(pod, container) for pod in pods for container in ("api", "proxy")]
    for pod, container in pairs:
        kube.write_log("shop", pod, container, f"{container} ready")
    return pairs


def test_vessel_logs_follow_prints_new_lines_and_stops_on_ctrl_c(
    kube: FakeKubeServer, shop: list[tuple[str, str]]
) -> None:
    command = [sys.executable, "-m", "vessel", "logs", "shop", "-n", "shop", "--follow", "--tail", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    printed: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    reader = threading.Thread(
        target=lambda: [printed.put(line) for line in process.stdout or []], daemon=True
    )
    reader.start()
    try:

        def lines(count: int) -> set[str]:
            return {printed.get(timeout=8).rstrip("\n") for _ in range(count)}

        assert lines(4) == {f"api | {p}/{c} | {c} ready" for p, c in shop}  # the tails: every stream open
        for pod, container in shop:
            kube.write_log("shop", pod, container, f"{container} served on {pod}")
        assert lines(4) == {f"api | {p}/{c} | {c} served on {p}" for p, c in shop}

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 130
        assert process.stderr is not None and "Traceback" not in process.stderr.read()
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()
        reader.join(timeout=2)


def test_vessel_logs_follow_ends_when_every_workload_is_gone(
    kube: FakeKubeServer, shop: list[tuple[str, str]]
) -> None:
    def delete_once_followed() -> None:
        wait_for(lambda: kube.following == 4)  # every stream is open (a pod deleted before: no stream)
        pod, container = shop[0]
        kube.write_log("shop", pod, container, "last words")
        request = urllib.request.Request(
            f"{kube.url}/apis/apps/v1/namespaces/shop/deployments/api", method="DELETE"
        )
        urllib.request.urlopen(request, timeout=5).close()

    deleter = threading.Thread(target=delete_once_followed, daemon=True)
    deleter.start()
    result = CliRunner().invoke(cli, ["logs", "shop", "-n", "shop", "-c", "api", "-f"])
    deleter.join(timeout=5)
    assert result.exit_code == 0, result.output
    pod, container = shop[0]
    assert f"api | {pod}/{container} | last words" in result.stdout.splitlines()
