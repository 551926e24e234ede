"""The `local` target runs real processes on 127.0.0.1: a tiny HTTP server (written by the test) answers
GET / with its PORT and GREETING and /healthz with 200. Nothing is mocked: processes are started, probed,
killed, adopted by new target instances and stopped, and /proc is checked to prove nothing is left over.

Every test cleans up after itself, even when it fails: the `local` fixture deletes every object, then
kills any process (and its group) whose command line mentions the test's temporary directory."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vessel.errors import TargetRejectedError
from vessel.model.resource_key import ResourceKey
from vessel.targets.local import LocalTarget
from vessel.targets.local.cron import Schedule
from vessel.targets.protocol import TargetInfo

SERVER = r"""
import json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            code, body = (500, b"sick") if os.path.exists("sick") else (200, b"ok")
        else:
            code = 200
            body = json.dumps({"port": os.environ["PORT"], "greeting": os.environ.get("GREETING"),
                               "pid": os.getpid(), "cwd": os.getcwd()}).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        print(self.command, self.path, flush=True)

ThreadingHTTPServer.allow_reuse_address = True
server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
print("listening on", os.environ["PORT"], flush=True)
server.serve_forever()
"""

API = "local.vessel.dev/v1"
PORTS = "23100-23899"
FAST_HTTP = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 0.05, "timeoutSeconds": 1}


class Local:
    """Targets on one state directory, and everything needed to leave no process behind."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.root = tmp / "state"
        self.server = tmp / "server.py"
        self.server.write_text(SERVER)
        self.decoys: list[subprocess.Popen[bytes]] = []

    def target(self, **config: Any) -> LocalTarget:
        settings = {"path": str(self.root), "grace": 2, "ports": PORTS, **config}
        return LocalTarget(TargetInfo("laptop", "local", config=settings))

    def object_dir(self, component: str = "web", app: str = "hello") -> Path:
        return self.root / "default" / app / component

    def cleanup(self) -> None:
        target = self.target(grace=0.5)
        for state in self.root.glob("*/*/*/state.json"):
            with contextlib.suppress(Exception):
                target.delete(ResourceKey.of(json.loads(state.read_text())["manifest"]))
        target.close()
        for pid in leftovers(self.tmp):
            with contextlib.suppress(OSError):
                group = os.getpgid(pid)
                if group != os.getpgid(0):
                    os.killpg(group, signal.SIGKILL)
                else:
                    os.kill(pid, signal.SIGKILL)
        for decoy in self.decoys:
            decoy.kill()
            decoy.wait()
        wait_for(lambda: not leftovers(self.tmp), timeout=5)


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Local]:
    harness = Local(tmp_path)
    try:
        yield harness
    finally:
        harness.cleanup()


# -- helpers -----------------------------------------------------------------------------------------


def leftovers(marker: Path) -> list[int]:
    """Live processes whose command line mentions `marker` (zombies excluded)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if stat.rpartition(b")")[2].split()[0] in (b"Z", b"X"):
            continue
        if str(marker).encode() in cmdline:
            found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rpartition(b")")[2].split()[0]
    except OSError:
        return False
    return state not in (b"Z", b"X")


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, every: float = 0.03) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s")
        time.sleep(every)


def fetch(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=3) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def manifest(
    kind: str = "Service",
    name: str = "web",
    *,
    command: list[str],
    env: dict[str, str] | None = None,
    app: str = "hello",
    **spec: Any,
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": name, "command": command}
    container["env"] = [{"name": k, "value": v} for k, v in (env or {}).items()]
    for field in ("readinessProbe", "livenessProbe", "workingDir", "args", "ports"):
        if field in spec:
            container[field] = spec.pop(field)
    return {
        "apiVersion": API,
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"app.oam.dev/name": app, "app.oam.dev/component": name},
        },
        "spec": {**spec, "template": {"spec": {"containers": [container]}}},
    }


def web(local: Local, replicas: int = 1, greeting: str = "hello", **spec: Any) -> dict[str, Any]:
    """The test server; its probes name port 8080, declared as its container port (it listens on PORT)."""
    spec.setdefault("readinessProbe", FAST_HTTP)
    spec.setdefault("ports", [{"containerPort": 8080, "name": "http"}])
    return manifest(
        command=[sys.executable, str(local.server)], env={"GREETING": greeting}, replicas=replicas, **spec
    )


def ready(target: LocalTarget, obj: dict[str, Any], count: int | None = None) -> dict[str, Any]:
    """Poll `get` until every wanted replica is ready; the live object."""
    key = ResourceKey.of(obj)
    wanted = obj["spec"].get("replicas", 1) if count is None else count

    def check() -> dict[str, Any] | None:
        live = target.get(key)
        return live if live and live["status"]["readyReplicas"] == wanted else None

    result: dict[str, Any] = wait_for(check)
    return result


def pids(live: dict[str, Any]) -> list[int]:
    return [p["pid"] for p in live["status"]["processes"]]


def state_of(local: Local, component: str = "web") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((local.object_dir(component) / "state.json").read_text())
    return data


# -- services ------------------------------------------------------------------------------------------


def test_apply_starts_a_replica_that_becomes_ready_and_answers_on_its_endpoint(local: Local) -> None:
    target = local.target()
    obj = web(local)
    result = target.apply(obj)
    assert result.changed
    assert result.live["status"]["replicas"] == 1

    live = ready(target, obj)
    process = live["status"]["processes"][0]
    assert live["spec"]["replicas"] == 1  # defaulted like an API server would
    assert live["status"]["endpoint"] == f"http://127.0.0.1:{process['port']}"
    assert 23100 <= process["port"] <= 23899
    answer = fetch(live["status"]["endpoint"])
    assert answer == {
        "port": str(process["port"]),
        "greeting": "hello",
        "pid": process["pid"],
        "cwd": str(local.object_dir() / "work"),
    }

    recorded = state_of(local)["replicas"][0]
    stat = Path(f"/proc/{process['pid']}/stat").read_bytes().rpartition(b")")[2].split()
    assert recorded["pid"] == process["pid"]
    assert recorded["startTime"] == int(stat[19])  # field 22 of /proc/<pid>/stat
    assert os.getsid(process["pid"]) != os.getsid(0)  # detached: a session of its own

    again = target.apply(obj)  # steady state: nothing restarts
    assert not again.changed
    assert pids(again.live) == [process["pid"]]


def test_scaling_2_to_3_to_1_starts_and_stops_only_the_difference(local: Local) -> None:
    target = local.target()
    target.apply(web(local, 2))
    first = pids(ready(target, web(local, 2)))
    assert len(set(first)) == 2

    assert target.apply(web(local, 3)).changed
    three = ready(target, web(local, 3))
    assert pids(three)[:2] == first
    ports = [p["port"] for p in three["status"]["processes"]]
    assert len(set(ports)) == 3

    one = target.apply(web(local, 1))
    assert one.changed
    assert pids(one.live) == first[:1]
    assert [p["name"] for p in one.live["status"]["processes"]] == ["web-0"]
    assert not any(alive(pid) for pid in pids(three)[1:])
    assert not (local.object_dir() / "logs" / "web-2.log").exists()
    assert [o["metadata"]["name"] for o in target.list_owned("hello", "default")] == ["web"]
    assert target.list_owned("other", "default") == []


def test_an_env_change_replaces_the_processes_and_the_new_env_is_served(local: Local) -> None:
    target = local.target()
    target.apply(web(local, 2, greeting="hello"))
    before = ready(target, web(local, 2))

    changed = target.apply(web(local, 2, greeting="bonjour"))
    assert changed.changed
    after = ready(target, web(local, 2))
    assert not set(pids(after)) & set(pids(before))
    assert not any(alive(pid) for pid in pids(before))
    assert {fetch(f"http://127.0.0.1:{p['port']}")["greeting"] for p in after["status"]["processes"]} == {
        "bonjour"
    }
    assert after["metadata"]["generation"] == 2


def test_a_killed_replica_is_reported_by_get_and_restarted_by_apply_after_its_backoff(local: Local) -> None:
    target = local.target()
    obj = web(local)
    target.apply(obj)
    pid = pids(ready(target, obj))[0]

    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not alive(pid))
    crashed = wait_for(
        lambda: (live := target.get(ResourceKey.of(obj))) and not live["status"]["replicas"] and live
    )
    process = crashed["status"]["processes"][0]
    assert process["exitCode"] == 137
    assert "killed by SIGKILL" in process["message"]
    assert target.get(ResourceKey.of(obj))["status"]["readyReplicas"] == 0  # get never restarts

    restarted = wait_for(lambda: (r := target.apply(obj)).live["status"]["replicas"] == 1 and r, timeout=4)
    assert restarted.changed
    (action,) = restarted.actions  # the apply says what it did, for the controller's event
    assert action.reason == "Restarted"
    assert action.message == "restarted replica web-0 (killed by SIGKILL) after a 1s back-off"
    process = restarted.live["status"]["processes"][0]
    assert process["restarts"] == 1
    assert process["pid"] != pid
    assert state_of(local)["replicas"][0]["crashes"] == 1
    ready(target, obj)
    assert target.apply(obj).actions == ()  # nothing done, nothing to tell


def test_a_replica_is_ready_only_once_it_stayed_up_its_minimum_uptime(local: Local) -> None:
    target = local.target(minReadySeconds=0.6)
    steady = manifest(name="steady", command=[sys.executable, "-c", "import time; time.sleep(60)"])
    started = time.monotonic()
    first = target.apply(steady).live["status"]["processes"][0]
    assert not first["ready"] and first["message"] == "starting: counts as ready once up for 0.6s"
    ready(target, steady)
    assert time.monotonic() - started >= 0.6

    # A process that ends before its minimum uptime was never ready, however often it was looked at.
    quitter = manifest(name="quitter", command=[sys.executable, "-c", "import time; time.sleep(0.3)"])
    key = ResourceKey.of(quitter)
    seen = [target.apply(quitter).live["status"]["processes"][0]]
    while seen[-1]["phase"] == "running":
        seen.append(target.get(key)["status"]["processes"][0])
    assert not any(p["ready"] for p in seen)
    assert seen[-1]["failure"] == "exited with code 0"

    # The object's own spec.minReadySeconds wins over the target's.
    instant = manifest(name="instant", command=[sys.executable, "-c", "import time; time.sleep(60)"])
    instant["spec"]["minReadySeconds"] = 0
    assert target.apply(instant).live["status"]["readyReplicas"] == 1


CRASH_ONCE = (
    "import os, sys, time\n"
    "if not os.path.exists('crashed'):\n"
    "    open('crashed', 'w').close()\n"
    "    print('loading config', flush=True)\n"
    "    print('fatal: no config', file=sys.stderr, flush=True)\n"
    "    print('bye', flush=True)\n"
    "    sys.exit(3)\n"
    "time.sleep(60)\n"
)


def test_a_crashed_replica_is_failing_with_its_last_stderr_line_until_it_is_ready_again(local: Local) -> None:
    target = local.target(minReadySeconds=0.3)
    obj = manifest(name="flaky", command=[sys.executable, "-c", CRASH_ONCE])
    key = ResourceKey.of(obj)
    target.apply(obj)
    crashed = wait_for(
        lambda: (live := target.get(key)) and live["status"]["processes"][0]["exitCode"] and live
    )
    process = crashed["status"]["processes"][0]
    # The cause is the last line on stderr, not the last line in the log (stdout's "bye").
    assert process["failure"] == "exited with code 3: fatal: no config"
    assert [i.failure for i in target.instances(key)] == ["exited with code 3: fatal: no config"]
    # Both streams reach the log in whole lines (each stream in its order; the two are captured apart,
    # like any runtime, so lines written at the same moment may land in either order).
    logged = list(target.logs(key))
    assert sorted(logged) == ["flaky-0 | bye", "flaky-0 | fatal: no config", "flaky-0 | loading config"]
    assert logged.index("flaky-0 | loading config") < logged.index("flaky-0 | bye")

    restarted = wait_for(lambda: (r := target.apply(obj)).live["status"]["replicas"] == 1 and r, timeout=4)
    assert restarted.live["status"]["processes"][0]["restarts"] == 1
    (instance,) = target.instances(key)
    assert not instance.ready and instance.failure == "exited with code 3: fatal: no config"  # still failing
    assert ready(target, obj)["status"]["processes"][0]["failure"] == ""  # up and ready: no longer failing
    assert [i.failure for i in target.instances(key)] == [""]


def test_a_command_that_cannot_start_is_failing_and_names_the_program(local: Local) -> None:
    target = local.target()
    typo = manifest(name="typo", command=["pyhton3-not-a-program", "server.py"])
    target.apply(typo)
    (instance,) = target.instances(ResourceKey.of(typo))
    assert not instance.ready
    assert instance.failure == "cannot start: No such file or directory: 'pyhton3-not-a-program'"


def test_a_service_that_declares_no_port_shows_no_endpoint(local: Local) -> None:
    target = local.target(minReadySeconds=0)
    worker = manifest(name="worker", command=[sys.executable, "-c", "import time; time.sleep(60)"])
    live = target.apply(worker).live
    assert live["status"]["processes"][0]["port"] is not None  # it gets a PORT, like every replica…
    assert "endpoint" not in live["status"]  # …but nothing says it listens there


def test_vessel_source_dir_comes_with_the_apply_and_never_enters_the_object(local: Local) -> None:
    source = local.tmp / "checkout"
    source.mkdir()
    (source / "job.py").write_text("import os; print('ran from', os.environ['VESSEL_SOURCE_DIR'])\n")
    job = manifest("Task", "job", command=[sys.executable, "$(VESSEL_SOURCE_DIR)/job.py"])
    key = ResourceKey.of(job)
    target = local.target()
    with pytest.raises(TargetRejectedError, match=r"refers to \$\(VESSEL_SOURCE_DIR\).*vessel up -f FILE"):
        target.apply(job)  # no directory known: refused rather than started to fail

    target.apply(job, source_dir=str(source))
    done = wait_for(lambda: (live := target.get(key)) and live["status"]["succeeded"] == 1 and live)
    assert list(target.logs(key)) == [f"job-0 | ran from {source}"]
    assert str(source) not in json.dumps(done)
    assert str(source) not in json.dumps(state_of(local, "job")["manifest"])
    assert target.apply(job).live["status"]["succeeded"] == 1  # later applies without it keep the one known


def test_delete_stops_gracefully_then_kills_and_leaves_nothing_running(local: Local) -> None:
    stubborn = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', sys.argv[1]])\n"  # grandchild
        "print('up', flush=True)\n"
        "time.sleep(60)\n"
    )
    target = local.target(grace=0.3)
    polite = web(local, 2)
    rude = manifest(name="rude", command=[sys.executable, "-c", stubborn, str(local.tmp)])
    target.apply(polite)
    target.apply(rude)
    ready(target, polite)
    wait_for(lambda: len(leftovers(local.tmp)) >= 2 * 2 + 3)  # shims + servers, shim + worker + grandchild

    started = time.monotonic()
    assert target.delete(ResourceKey.of(rude))
    assert 0.3 <= time.monotonic() - started < 3  # SIGTERM ignored: SIGKILL after the grace period
    assert target.delete(ResourceKey.of(polite))
    assert not target.delete(ResourceKey.of(polite))
    assert leftovers(local.tmp) == []
    assert target.get(ResourceKey.of(polite)) is None
    assert list(local.root.glob("*/*/*/state.json")) == []


def test_a_new_target_instance_adopts_running_processes_without_starting_duplicates(local: Local) -> None:
    obj = web(local, 2)
    first = local.target()
    first.apply(obj)
    running = pids(ready(first, obj))
    first.close()

    second = local.target()  # a new CLI process, as far as the target can tell
    adopted = second.apply(obj)
    assert not adopted.changed
    assert pids(adopted.live) == running
    assert sorted(pid for pid in leftovers(local.tmp) if pid in running) == sorted(running)
    assert ready(second, obj)["status"]["readyReplicas"] == 2


def servers_of(local: Local) -> list[int]:
    """The test server processes running (the shims' command lines mention server.py too)."""
    return sorted(
        pid for pid in leftovers(local.server) if b"shim.py" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    )


def test_two_processes_or_threads_applying_at_once_start_each_replica_once(local: Local) -> None:
    obj = web(local, 2)
    script = (
        "import json, sys\n"
        "from vessel.targets.local import LocalTarget\n"
        "from vessel.targets.protocol import TargetInfo\n"
        "config = json.loads(sys.argv[1])\n"
        "result = LocalTarget(TargetInfo('laptop', 'local', config=config)).apply(json.loads(sys.argv[2]))\n"
        "print(json.dumps([p['pid'] for p in result.live['status']['processes']]))\n"
    )
    config = json.dumps({"path": str(local.root), "ports": PORTS})
    runs = [
        subprocess.Popen([sys.executable, "-c", script, config, json.dumps(obj)], stdout=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [json.loads(run.communicate(timeout=20)[0]) for run in runs]
    assert outputs[0] == outputs[1]
    assert servers_of(local) == sorted(outputs[0])

    target = local.target()  # threads of one process: the same, through the in-process lock
    threaded = web(local, 3, greeting="threads")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: target.apply(threaded), range(4)))
    assert sum(r.changed for r in results) == 1
    assert len({tuple(pids(r.live)) for r in results}) == 1
    assert servers_of(local) == sorted(pids(results[0].live))


def test_a_reused_pid_is_never_adopted_or_signalled(local: Local) -> None:
    obj = web(local)
    target = local.target()
    target.apply(obj)
    ready(target, obj)

    # The replica dies (with its shim) while nobody watches, and its pid goes to an unrelated process —
    # which necessarily started later than the recorded one. The decoy leads a process group of its own
    # with the recorded group's number, as a reused pid would: only the leader's start time tells them
    # apart (members of a group start no earlier than its leader, so that alone would not).
    state = state_of(local)
    replica = state["replicas"][0]
    os.killpg(replica["pgid"], signal.SIGKILL)
    wait_for(lambda: not alive(replica["pid"]) and not alive(replica["pgid"]))
    decoy = subprocess.Popen(["sleep", "30"], start_new_session=True)
    local.decoys.append(decoy)
    decoy_start = start_of(decoy.pid)
    assert replica["pgidStartTime"] <= replica["startTime"] <= decoy_start  # a possible timeline
    replica.update(pid=decoy.pid, pgid=decoy.pid)  # recorded start times stay those of the dead replica
    (local.object_dir() / "state.json").write_text(json.dumps(state))

    fresh = local.target(grace=0.2)
    live = fresh.get(ResourceKey.of(obj))
    assert live is not None
    assert live["status"]["replicas"] == 0
    assert live["status"]["processes"][0]["pid"] is None
    restarted = wait_for(lambda: (r := fresh.apply(obj)).live["status"]["replicas"] == 1 and r, timeout=4)
    assert pids(restarted.live)[0] != decoy.pid
    assert fresh.delete(ResourceKey.of(obj))
    assert decoy.poll() is None  # never signalled
    assert alive(decoy.pid)


def start_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_bytes().rpartition(b")")[2].split()[19])


def test_processes_recorded_during_another_boot_are_never_adopted_or_signalled(local: Local) -> None:
    obj = web(local)
    target = local.target()
    target.apply(obj)
    ready(target, obj)
    state = state_of(local)
    replica = state["replicas"][0]
    os.killpg(replica["pgid"], signal.SIGKILL)
    wait_for(lambda: not alive(replica["pid"]) and not alive(replica["pgid"]))

    # After a reboot, pid and start time (ticks since boot) can both match an unrelated process exactly:
    # only the boot id says the record is from another life.
    decoy = subprocess.Popen(["sleep", "30"], start_new_session=True)
    local.decoys.append(decoy)
    start = start_of(decoy.pid)
    replica.update(pid=decoy.pid, startTime=start, pgid=decoy.pid, pgidStartTime=start)
    state["bootId"] = "an-earlier-boot"
    (local.object_dir() / "state.json").write_text(json.dumps(state))

    fresh = local.target(grace=0.2)
    live = fresh.get(ResourceKey.of(obj))
    assert live is not None
    process = live["status"]["processes"][0]
    assert (process["phase"], process["pid"]) == ("exited", None)
    assert process["message"].startswith("not running (the machine restarted)")
    assert fresh.delete(ResourceKey.of(obj))
    assert decoy.poll() is None and alive(decoy.pid)  # neither adopted nor signalled


def test_shell_metacharacters_stay_literal_and_vars_expand_like_kubernetes(local: Local) -> None:
    canary = local.tmp / "pwned"
    show = "import os, sys; print(repr(sys.argv[1:])); print(repr(os.environ['EVIL']))"
    task = manifest(
        "Task",
        "echo",
        command=[sys.executable, "-c", show],
        args=[
            "; rm -rf /",
            f"$(touch {canary})",
            "`id`",
            "$(GREETING)",
            "$$(GREETING)",
            "$(NOPE)",
            "$(PORT)",
        ],
        env={"GREETING": "hi", "EVIL": f"; touch {canary} && echo $(GREETING) | $HOME"},
    )
    target = local.target()
    target.apply(task)
    done = wait_for(
        lambda: (live := target.get(ResourceKey.of(task))) and live["status"]["succeeded"] == 1 and live
    )
    assert done["status"]["processes"][0]["exitCode"] == 0
    lines = list(target.logs(ResourceKey.of(task)))
    assert lines == [
        "echo-0 | "
        + repr(["; rm -rf /", f"$(touch {canary})", "`id`", "hi", "$(GREETING)", "$(NOPE)", "$(PORT)"]),
        "echo-0 | " + repr(f"; touch {canary} && echo hi | $HOME"),
    ]
    assert not canary.exists()


def test_a_declared_port_taken_by_another_program_is_a_clear_error(local: Local) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        target = local.target()
        with pytest.raises(TargetRejectedError) as error:
            target.apply(web(local, 2, port=port))
        assert f"port {port}" in str(error.value)
        assert "'web'" in str(error.value)
        with pytest.raises(TargetRejectedError, match=str(port)):
            target.apply(web(local, 1, port=port))
    assert leftovers(local.tmp) == []
    assert not local.object_dir().exists()

    target.apply(web(local, 1, port=port))  # free again: the one replica listens on it itself
    live = ready(target, web(local, 1, port=port))
    assert live["status"]["endpoint"] == f"http://127.0.0.1:{port}"
    assert fetch(live["status"]["endpoint"])["port"] == str(port)
    other = web(local, 1, port=port)
    other["metadata"] = {
        "name": "api",
        "labels": {"app.oam.dev/name": "shop", "app.oam.dev/component": "api"},
    }
    with pytest.raises(TargetRejectedError) as error:
        target.apply(other)
    assert f"port {port} of component 'api' is already used by component 'web' of application 'hello'" in str(
        error.value
    )


def test_the_balancer_spreads_requests_round_robin_across_ready_replicas(local: Local) -> None:
    port = free_port()
    obj = web(local, 3, port=port)
    target = local.target()
    target.apply(obj)
    live = ready(target, obj)
    assert live["status"]["endpoint"] == f"http://127.0.0.1:{port}"
    assert live["status"]["balancer"]["running"]

    seen = Counter(fetch(f"http://127.0.0.1:{port}/")["port"] for _ in range(9))
    assert seen == Counter({str(p["port"]): 3 for p in live["status"]["processes"]})

    victim = live["status"]["processes"][1]
    os.kill(victim["pid"], signal.SIGKILL)
    wait_for(lambda: target.get(ResourceKey.of(obj))["status"]["readyReplicas"] == 2)
    after = Counter(fetch(f"http://127.0.0.1:{port}/")["port"] for _ in range(6))
    assert str(victim["port"]) not in after
    assert sum(after.values()) == 6

    survivor = live["status"]["processes"][0]
    one = target.apply(web(local, 1, port=port))  # scaling down restarts nobody: the balancer stays
    assert pids(one.live) == [survivor["pid"]]
    assert one.live["status"]["balancer"]["running"]
    assert fetch(f"http://127.0.0.1:{port}/")["port"] == str(survivor["port"])

    replaced = target.apply(web(local, 1, port=port, greeting="hej"))  # a replacement: straight on the port
    assert "balancer" not in replaced.live["status"]
    ready(target, web(local, 1, port=port, greeting="hej"))
    assert fetch(f"http://127.0.0.1:{port}/") | {"pid": 0, "cwd": ""} == {
        "port": str(port),
        "greeting": "hej",
        "pid": 0,
        "cwd": "",
    }


def test_exec_tcp_and_http_probes_decide_readiness_and_liveness(local: Local) -> None:
    target = local.target()
    flag_check = [sys.executable, "-c", "import os, sys; sys.exit(0 if os.path.exists('ready') else 1)"]
    gated = web(
        local,
        workingDir="sub/dir",
        readinessProbe={"exec": {"command": flag_check}, "periodSeconds": 0.05},
        livenessProbe={"tcpSocket": {"port": 8080}, "periodSeconds": 0.05, "initialDelaySeconds": 1},
    )
    target.apply(gated)
    workdir = local.object_dir() / "work" / "sub" / "dir"
    time.sleep(0.3)
    live = target.get(ResourceKey.of(gated))
    assert live["status"]["readyReplicas"] == 0
    assert "exited 1" in live["status"]["processes"][0]["message"]
    (workdir / "ready").touch()
    ready(target, gated)

    sick = web(
        local,
        livenessProbe={
            "httpGet": {"path": "/healthz", "port": 8080},
            "periodSeconds": 0.05,
            "failureThreshold": 2,
        },
    )
    target.apply(sick)
    first = pids(ready(target, sick))[0]
    (local.object_dir() / "work" / "sick").touch()
    failing = wait_for(
        lambda: (
            "liveness probe failed" in target.get(ResourceKey.of(sick))["status"]["processes"][0]["message"]
        )
    )
    assert failing
    (local.object_dir() / "work" / "sick").unlink()
    restarted = wait_for(lambda: (r := target.apply(sick)).live["status"]["replicas"] == 1 and r, timeout=4)
    assert pids(restarted.live)[0] != first
    assert restarted.live["status"]["processes"][0]["restarts"] == 1
    assert not alive(first)

    escaping = web(local, workingDir="../../outside")
    with pytest.raises(TargetRejectedError, match="workingDir"):
        target.apply(escaping)


def test_a_task_runs_to_completion_and_a_failed_one_is_retried_only_on_failure(local: Local) -> None:
    target = local.target()
    job = manifest("Task", "job", command=[sys.executable, "-c", "print('done')"], count=2)
    target.apply(job)
    done = wait_for(
        lambda: (live := target.get(ResourceKey.of(job))) and live["status"]["succeeded"] == 2 and live
    )
    assert done["spec"]["restart"] == "Never"
    assert "completionTime" in done["status"]
    assert not target.apply(job).changed  # complete: never run again
    assert sorted(target.logs(ResourceKey.of(job))) == ["job-0 | done", "job-1 | done"]

    failing = manifest(
        "Task",
        "flaky",
        command=[sys.executable, "-c", "raise SystemExit(3)"],
        restart="OnFailure",
        backoffLimit=1,
    )
    target.apply(failing)
    key = ResourceKey.of(failing)
    wait_for(lambda: target.get(key)["status"]["processes"][0]["exitCode"] == 3)
    wait_for(lambda: target.apply(failing).live["status"]["processes"][0]["restarts"] == 1, timeout=4)
    final = wait_for(lambda: (live := target.get(key)) and live["status"]["failed"] == 1 and live)
    assert "gave up after 1 retries" in final["status"]["processes"][0]["message"]

    missing = manifest("Task", "typo", command=["definitely-not-a-program-vessel"])
    target.apply(missing)
    live = target.get(ResourceKey.of(missing))
    assert live["status"]["failed"] == 1
    assert live["status"]["processes"][0]["exitCode"] == 127
    assert "cannot start" in live["status"]["processes"][0]["message"]


def test_a_cron_task_runs_when_its_schedule_falls_due(local: Local) -> None:
    target = local.target()
    cron = manifest(
        "CronTask", "tick", command=[sys.executable, "-c", "print('tick')"], schedule="*/1 * * * *"
    )
    while time.time() % 60 > 55:  # the schedule falls due on the minute: do not start just before one
        time.sleep(0.2)
    assert target.apply(cron).live["status"]["lastScheduleTime"] is None
    assert not target.get(ResourceKey.of(cron))["status"]["processes"]  # nothing due yet

    state = state_of(local, "tick")
    state["createdAt"] -= 120  # as if applied two minutes ago
    (local.object_dir("tick") / "state.json").write_text(json.dumps(state))
    live = target.get(ResourceKey.of(cron))  # get runs what fell due
    assert live["status"]["lastScheduleTime"] is not None
    assert len(live["status"]["processes"]) == 1
    done = wait_for(
        lambda: (live := target.get(ResourceKey.of(cron))) and live["status"]["succeeded"] == 1 and live,
        timeout=20,
    )
    assert done["status"]["lastSuccessfulTime"] is not None
    assert list(target.logs(ResourceKey.of(cron))) == ["tick-0 | tick"]


def test_cron_schedules_read_like_kubernetes() -> None:
    weekdays = Schedule.parse("30 9 * * mon-fri")
    friday = datetime(2024, 5, 3, 9, 30, tzinfo=UTC)
    assert weekdays.next_after(friday) == datetime(2024, 5, 6, 9, 30, tzinfo=UTC)
    either = Schedule.parse("0 0 13 * 5")  # the 13th, or any Friday
    assert either.next_after(datetime(2024, 9, 1, tzinfo=UTC)) == datetime(2024, 9, 6, tzinfo=UTC)
    hourly = Schedule.parse("@hourly")
    assert (hourly.minutes, len(hourly.hours)) == (frozenset({0}), 24)
    start = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    every_five = Schedule.parse("*/5 * * * *")
    assert every_five.latest_due(start, start + 3 * 86400 + 7 * 60, UTC) == start + 3 * 86400 + 5 * 60
    assert every_five.latest_due(start, start + 4 * 60, UTC) is None
    with pytest.raises(ValueError, match="5 fields"):
        Schedule.parse("* * *")


def test_logs_are_prefixed_by_replica_tailed_and_rotated_at_10_mib(local: Local) -> None:
    target = local.target()
    obj = web(local, 2)
    target.apply(obj)
    live = ready(target, obj)
    for process in live["status"]["processes"]:
        fetch(f"http://127.0.0.1:{process['port']}/hello")
    key = ResourceKey.of(obj)
    wait_for(lambda: len([line for line in target.logs(key) if "GET /hello" in line]) == 2)
    lines = list(target.logs(key))
    assert {line.split(" | ")[0] for line in lines} == {"web-0", "web-1"}
    assert lines[0].startswith("web-0 | listening on ")
    assert len(list(target.logs(key, tail=1))) == 2  # the tail applies to each replica

    log = local.object_dir() / "logs" / "web-0.log"
    for round_ in range(4):
        with log.open("ab") as file:
            file.write(f"filler {round_}\n".encode() * (11 * 1024 * 1024 // 9))
        target.get(key)
        assert b"filler" not in log.read_bytes()  # rotated (a probe may already have logged a new line)
    assert [p.name for p in sorted(log.parent.glob("web-0.log.*"))] == [
        "web-0.log.1",
        "web-0.log.2",
        "web-0.log.3",
    ]
    assert (log.parent / "web-0.log.1").read_bytes().startswith(b"filler 3")
    assert (log.parent / "web-0.log.3").read_bytes().startswith(b"filler 1")
    fetch(f"http://127.0.0.1:{live['status']['processes'][0]['port']}/after")
    wait_for(lambda: b"GET /after" in log.read_bytes())  # the server still writes to the truncated file
    assert b"filler" not in log.read_bytes()
    tail = [line for line in target.logs(key, tail=20) if line.startswith("web-0 |")]
    assert "web-0 | filler 3" in tail and "web-0 | GET /after" in tail  # the tail reaches into web-0.log.1


def test_unknown_kinds_and_missing_commands_are_rejected_with_what_to_do(local: Local) -> None:
    target = local.target()
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web"},
        "spec": {},
    }
    with pytest.raises(
        TargetRejectedError, match="the local target cannot run Ingress; it needs a Kubernetes target"
    ):
        target.apply(ingress)
    no_command = manifest(command=[])
    no_command["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    with pytest.raises(TargetRejectedError) as error:
        target.apply(no_command)
    assert "'web'" in str(error.value)
    assert "'laptop'" in str(error.value)
    assert "`cmd`" in str(error.value)
    assert target.list_owned("hello", "default") == []
    status = target.status()
    assert status.reachable
    assert status.version == "local"
