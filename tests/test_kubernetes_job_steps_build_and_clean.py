"""`build-push-image` runs KubeVela's Kaniko pod on a Kubernetes target and succeeds only when the pod
did; a failed build fails the step with its exit code, reason and last log line; on any other target
it fails at once saying why. `clean-jobs` deletes the Jobs and Pods with its labels (by default the
workflow's), never another application's, and refuses targets that have no Jobs. Against
FakeKubeServer (a Kubernetes API over HTTP) and memory targets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from step_apps import application, step, steps
from vessel.store import Phase
from vessel.store.records import StepPhase
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer
from vessel.workflow.steps.jobs import kaniko_pod

BUILD = {
    "context": {"git": "github.com/FogDong/simple-web-demo", "branch": "main"},
    "image": "fogdong/simple-web-demo:v1",
    "credentials": {"image": {"name": "image-secret"}, "git": {"name": "git-secret", "key": "token"}},
    "buildArgs": ["key=value"],
    "cluster": "k8s",
}


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}")
    yield harness
    harness.store.close()


@pytest.fixture
def kube(h: Harness, tmp_path: Path) -> Iterator[FakeKubeServer]:
    with FakeKubeServer() as server:
        h.add_target("k8s", "kubernetes", {"kubeconfig": str(server.kubeconfig(tmp_path / "kubeconfig"))})
        yield server


def kaniko(kube: FakeKubeServer) -> dict[str, Any]:
    (pod,) = [p for p in kube.pods("default") if p["metadata"]["name"].endswith("-kaniko")]
    return pod


def test_build_push_image_runs_kubevelas_kaniko_pod_and_succeeds_when_it_does(
    h: Harness, kube: FakeKubeServer
) -> None:
    app = h.up(application([step("build", "build-push-image", BUILD)], components=[]), timeout=30)
    assert app.phase != Phase.RUNNING and steps(h)["build"].message.startswith("waiting for pod wf-")
    pod = kaniko(kube)
    (container,) = pod["spec"]["containers"]
    assert container["args"] == [
        "--dockerfile=./Dockerfile",
        "--context=git://github.com/FogDong/simple-web-demo#refs/heads/main",
        "--destination=fogdong/simple-web-demo:v1",
        "--verbosity=info",
        "--build-arg=key=value",
    ]
    assert container["image"] == "oamdev/kaniko-executor:v1.9.1"
    assert container["volumeMounts"] == [{"mountPath": "/kaniko/.docker/", "name": "image-secret"}]
    assert container["env"][0]["valueFrom"]["secretKeyRef"] == {"key": "token", "name": "git-secret"}
    assert pod["spec"]["restartPolicy"] == "Never"
    kube.set_status("pods", "default", pod["metadata"]["name"], {"phase": "Succeeded"})
    app = h.controller.drive(h.record("wf"), timeout=60)
    assert app.phase == Phase.RUNNING, app.message
    assert "built and pushed fogdong/simple-web-demo:v1" in steps(h)["build"].message


def test_a_failed_build_fails_the_step_with_exit_code_and_last_log_line(
    h: Harness, kube: FakeKubeServer
) -> None:
    h.up(application([step("build", "build-push-image", BUILD)], components=[]), timeout=30)
    name = kaniko(kube)["metadata"]["name"]
    kube.write_log("default", name, "kaniko", "error resolving dockerfile path: no such file")
    ended = {"terminated": {"exitCode": 1, "reason": "Error"}}
    kube.set_status(
        "pods",
        "default",
        name,
        {"phase": "Failed", "containerStatuses": [{"name": "kaniko", "state": ended}]},
    )
    app = h.controller.drive(h.record("wf"), timeout=60)
    failed = steps(h)["build"]
    assert (app.phase, failed.phase) == (Phase.FAILED, StepPhase.FAILED)
    assert f"pod {name} failed to build fogdong/simple-web-demo:v1: exit code 1: Error" in failed.message
    assert "last log line: error resolving dockerfile path: no such file" in failed.message


def test_a_kaniko_pod_that_cannot_pull_its_executor_fails_the_step_within_seconds(
    h: Harness, kube: FakeKubeServer
) -> None:
    h.up(application([step("build", "build-push-image", BUILD)], components=[]), timeout=30)
    name = kaniko(kube)["metadata"]["name"]
    waiting = {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}
    status = {"phase": "Pending", "containerStatuses": [{"name": "kaniko", "ready": False, "state": waiting}]}
    kube.set_status("pods", "default", name, status)
    started = h.clock.now()
    app = h.controller.drive(h.record("wf"), timeout=600)
    failed = steps(h)["build"]
    assert (app.phase, failed.phase) == (Phase.FAILED, StepPhase.FAILED)
    assert f"pod {name} cannot build fogdong/simple-web-demo:v1" in failed.message
    assert "ImagePullBackOff" in failed.message and h.clock.now() - started < 60


def test_build_push_image_on_a_target_that_cannot_run_pods_fails_at_once_saying_why(h: Harness) -> None:
    app = h.up(application([step("build", "build-push-image", {**BUILD, "cluster": ""})], components=[]))
    failed = steps(h)["build"]
    assert (app.phase, failed.attempts) == (Phase.FAILED, 1)
    assert (
        "build-push-image runs on a Kubernetes cluster, and target 'mem' is a memory target" in failed.message
    )


def test_kaniko_pod_with_a_plain_context_and_platform_is_kubevelas() -> None:
    params = {
        "context": "s3://bucket/ctx.tar.gz",
        "image": "x:1",
        "platform": "linux/arm",
        "dockerfile": "D",
        "verbosity": "debug",
        "kanikoExecutor": "k",
    }
    pod = kaniko_pod("app", "ns", "abcd1234", params)
    assert pod["metadata"] == {"name": "app-abcd1234-kaniko", "namespace": "ns"}
    assert pod["spec"]["containers"][0]["args"] == [
        "--dockerfile=D",
        "--context=s3://bucket/ctx.tar.gz",
        "--destination=x:1",
        "--verbosity=debug",
        "--customPlatform=linux/arm",
    ]
    assert "volumes" not in pod["spec"]


def job(name: str, labels: dict[str, str]) -> dict[str, Any]:
    template = {
        "metadata": {"labels": labels},
        "spec": {"containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Never"},
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": labels},
        "spec": {"template": template},
    }


def test_clean_jobs_deletes_the_workflows_jobs_and_pods_and_leaves_others(
    h: Harness, kube: FakeKubeServer
) -> None:
    mine = {"workflow.oam.dev/name": "wf"}
    make = [
        step("job", "apply-object", {"value": job("migrate", mine), "cluster": "k8s"}),
        step("other", "apply-object", {"value": job("keep", {"team": "x"}), "cluster": "k8s"}),
    ]
    assert h.up(application(make, components=[])).phase == Phase.RUNNING
    theirs = step("job", "apply-object", {"value": job("theirs", mine), "cluster": "k8s"})
    assert h.up(application([theirs], name="neighbour", components=[])).phase == Phase.RUNNING
    assert kube.pods("default", "workflow.oam.dev/name=wf")  # the Jobs' pods run
    clean = step("clean", "clean-jobs", {"cluster": "k8s"})
    app = h.up(application([*make, clean], components=[]))
    assert app.phase == Phase.RUNNING, app.message
    message = steps(h)["clean"].message
    assert (
        message.startswith("deleted 1 job(s)") and "left alone (another application's): Job theirs" in message
    )
    names = {p["metadata"]["name"] for p in kube.pods("default")}
    assert not [n for n in names if n.startswith("migrate")] and [n for n in names if n.startswith("keep")]
    assert kube.get("jobs", "default", "theirs")
    assert not [e for e in h.store.inventory(app.id) if e.key.name == "migrate"]  # not put back as drift


def test_clean_jobs_on_a_local_target_fails_saying_it_has_no_jobs(h: Harness) -> None:
    app = h.up(application([step("clean", "clean-jobs", {"cluster": "local"})], components=[]))
    failed = steps(h)["clean"]
    assert app.phase == Phase.FAILED
    assert "target 'local' is a local target, which has none" in failed.message
