"""A fake Kubernetes API server (vessel.testing.fake_kube) in a process of its own, for benchmarks.

In the benchmark's process the fake's CPU would be counted as Vessel's (it was 80-94 % of it). Here it
runs in a child process on 127.0.0.1 and answers a control pipe: what it was asked (`requests`, by
method), what it holds (`objects`), `clear`, `stop`. The child is a daemon, so it dies with the
benchmark whatever happens; `stop` ends it cleanly. Ready means: the child says where it listens and
that address answers `/version`.
"""

from __future__ import annotations

import json
import multiprocessing
import urllib.request
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ANSWER_S = 60.0  # how long the child may take to answer a control request before it is taken as dead
Key = tuple[str, str, str]  # kind, namespace, name


def _serve(control: Connection, kubeconfig: str) -> None:
    from vessel.testing.fake_kube import FakeKubeServer

    with FakeKubeServer() as kube:
        kube.kubeconfig(kubeconfig)
        control.send(kube.url)
        while True:
            command = control.recv()
            if command == "stop":
                control.send("stopped")
                return
            control.send(_answer(kube, command))


def _answer(kube: Any, command: str) -> Any:
    if command == "requests":
        return Counter(method for method, _ in kube.requests)
    if command == "clear":
        kube.requests.clear()
        return "cleared"
    if command == "objects":
        with kube.cluster.lock:
            return [(str(o.get("kind")), ns, name) for (_, _, ns, name), o in kube.cluster.objects.items()]
    raise ValueError(f"unknown command {command!r}")


class KubeProcess:
    """One fake API server in a child process: `start()`, ask it, `stop()`."""

    def __init__(self, kubeconfig: Path):
        self.kubeconfig = kubeconfig
        self.url = ""
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads forked
        self._control, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, str(kubeconfig)), daemon=True)

    def start(self) -> KubeProcess:
        self._process.start()
        self.url = str(self._receive("start"))
        with urllib.request.urlopen(f"{self.url}/version", timeout=ANSWER_S) as answer:
            version = json.load(answer)
        if not self.kubeconfig.is_file() or "gitVersion" not in version:
            raise RuntimeError(f"fake API server at {self.url} is not ready: /version said {version}")
        return self

    def requests(self) -> Counter[str]:
        """Requests served since the last `clear`, by HTTP method."""
        return Counter(self._ask("requests"))

    def clear(self) -> None:
        self._ask("clear")

    def objects(self) -> set[Key]:
        """(kind, namespace, name) of every object it holds."""
        return {(str(kind), str(ns), str(name)) for kind, ns, name in self._ask("objects")}

    def stop(self) -> None:
        if self._process.pid is None:
            return  # never started
        if self._process.is_alive():
            try:
                self._ask("stop")
            except (RuntimeError, OSError):
                self._process.kill()
        self._process.join(ANSWER_S)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    def _ask(self, command: str) -> Any:
        self._control.send(command)
        return self._receive(command)

    def _receive(self, command: str) -> Any:
        try:
            if self._control.poll(ANSWER_S):
                return self._control.recv()
        except (EOFError, OSError):
            pass  # the child is gone: said below
        code = self._process.exitcode
        state = f"exited with code {code}" if code is not None else f"did not answer in {ANSWER_S:g} s"
        raise RuntimeError(f"fake API server process {state} (asked: {command})")
