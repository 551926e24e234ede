"""The HTTP side: routing, discovery, fault injection, and `FakeKubeServer` itself."""

from __future__ import annotations

import json
import re
import select
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from vessel.testing.fake_kube.cluster import Cluster, Obj
from vessel.testing.fake_kube.errors import KubeError
from vessel.testing.fake_kube.kinds import ResourceType
from vessel.testing.fake_kube.logs import LogQuery

DEFAULT_VERSION = "1.31"
APPLY = "application/apply-patch+yaml"
Body = Obj | str | Iterator[list[str]]  # an object (sent as JSON), text, or a followed log's line batches
PATCH_TYPES = (
    APPLY,
    "application/merge-patch+json",
    "application/json-patch+json",
    "application/strategic-merge-patch+json",
)


def version_info(version: str = DEFAULT_VERSION) -> dict[str, str]:
    """What `/version` answers for a `major.minor[.patch]` version such as "1.27"."""
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.(\d+))?", version)
    if match is None:
        raise ValueError(f"not a Kubernetes version: {version!r}")
    major, minor, patch = match.groups(default="0")
    return {
        "major": major,
        "minor": minor,
        "gitVersion": f"v{major}.{minor}.{patch}",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-08-13T00:00:00Z",
        "goVersion": "go1.22.5",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


class FakeKubeServer:
    """A Kubernetes API server in a thread on 127.0.0.1, for tests.

    ``with FakeKubeServer() as kube: kube.kubeconfig(path)`` then point lightkube or kubectl at `path`.
    It serves discovery, CRUD, server-side apply (managed fields, conflicts), selectors, CRDs, status
    subresources and pod logs (`GET .../pods/{name}/log`, with `container`, `tailLines`, `sinceSeconds` and
    `timestamps` (see `logs`); with
    `follow=true` the answer is chunked and streams the lines `write_log` adds until the pod is deleted,
    the client hangs up or the server stops). `version` sets what `/version` says.

    Like a real API server it defaults `spec.replicas` to 1 (Deployments, StatefulSets, ReplicaSets) and
    a Job's selector, stores the resource quantities of built-in kinds in canonical form (`0.5` as
    "500m", `1024Mi` as "1Gi"; custom resources keep what was sent), skips writes that change nothing (the
    resourceVersion stays), and deletes an object's dependents with it. While `controller` is on (the
    default) it also plays the controllers and the kubelet (see `workloads`): workloads get running pods
    on the node `fake-node` and a status derived from them before a write is answered.

    Simulation: `set_status` (on a pod, it also updates the owning workload's status), `write_log`
    (`following` counts the followed logs being streamed),
    `controller`, `fail_next(count, code)`, and `unreachable` (connections close without an answer).
    """

    def __init__(self, port: int = 0, version: str = DEFAULT_VERSION) -> None:
        self.version_info = version_info(version)
        self.cluster = Cluster(kubelet_version=self.version_info["gitVersion"])
        self.unreachable = False
        self.requests: list[tuple[str, str]] = []  # (method, path?query), for assertions
        self._failures: list[tuple[int, int | None]] = []  # (code, Retry-After seconds)
        self._fail_lock = threading.Lock()
        self._httpd = _HTTPServer(("127.0.0.1", port), _Handler, self)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def controller(self) -> bool:
        return self.cluster.controller

    @controller.setter
    def controller(self, on: bool) -> None:
        self.cluster.controller = on

    def start(self) -> FakeKubeServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, args=(0.01,), name="fake-kube", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self.cluster.stop_following()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FakeKubeServer:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def kubeconfig(self, path: str | Path, namespace: str = "default") -> Path:
        """Write a kubeconfig (plain-http server, a token user) that lightkube and kubectl can use."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake", "user": {"token": "fake-token"}}],
            "contexts": [
                {"name": "fake", "context": {"cluster": "fake", "user": "fake", "namespace": namespace}}
            ],
            "current-context": "fake",
            "preferences": {},
        }
        target = Path(path)
        target.write_text(yaml.safe_dump(config, sort_keys=False))
        return target

    def fail_next(self, count: int = 1, code: int = 503, retry_after: int | None = None) -> None:
        """Answer the next `count` requests with a `code` Status instead of serving them (with a
        Retry-After header if given, as API Priority and Fairness does with its 429s)."""
        with self._fail_lock:
            self._failures.extend([(code, retry_after)] * count)

    def _take_failure(self) -> tuple[int, int | None] | None:
        with self._fail_lock:
            return self._failures.pop(0) if self._failures else None

    def set_status(self, kind_plural: str, namespace: str | None, name: str, status: Obj) -> Obj:
        """Write an object's status as a controller would (bumps resourceVersion unless unchanged). A
        pod's new status is reflected in its owners' (ReplicaSet, Deployment...) while `controller` is on."""
        rt = self.cluster.type_by_plural(kind_plural)
        return self.cluster.set_status(rt, namespace or "" if rt.namespaced else "", name, status)

    def get(self, kind_plural: str, namespace: str | None, name: str) -> Obj:
        """The object as last written, in the apiVersion it was written in."""
        rt = self.cluster.type_by_plural(kind_plural)
        return self.cluster.stored(rt, namespace or "" if rt.namespaced else "", name)

    def pods(self, namespace: str | None, selector: str | None = None) -> list[Obj]:
        """The pods in `namespace` (None: every namespace) matching a label `selector`, by name."""
        items: list[Obj] = self.cluster.list_objects(self._pods, namespace, selector)["items"]
        return items

    @property
    def following(self) -> int:
        """How many followed logs (`follow=true`) are being streamed right now."""
        return self.cluster.log_followers

    def write_log(
        self, namespace: str, pod: str, container: str, *lines: str, at: float | None = None
    ) -> None:
        """Append `lines` to a container's log (the pod must exist; its log goes when it does), written
        now or at the time `at` says (seconds since the epoch, for `sinceSeconds`)."""
        self.cluster.write_log(namespace, pod, container, lines, at)

    @property
    def _pods(self) -> ResourceType:
        return self.cluster.types[("", "v1", "pods")]

    # -- routing -----------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, Body]:
        """Serve one request: the status code and the answer (an object as JSON, a str as plain text,
        an iterator as a followed log: chunked text, a chunk per batch of lines)."""
        split = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        parts = [p for p in split.path.split("/") if p]
        if parts == ["version"]:
            return 200, dict(self.version_info)
        if parts[:1] == ["openapi"]:
            return self._openapi(parts[1:])
        if parts and parts[0] == "api":
            if len(parts) == 1:
                return 200, {
                    "kind": "APIVersions",
                    "versions": ["v1"],
                    "serverAddressByClientCIDRs": [
                        {"clientCIDR": "0.0.0.0/0", "serverAddress": self.url.removeprefix("http://")}
                    ],
                }
            group, version, rest = "", parts[1], parts[2:]
        elif parts and parts[0] == "apis":
            if len(parts) == 1:
                return 200, self._group_list()
            if len(parts) == 2:
                return self._group(parts[1])
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise KubeError(404, "NotFound", "the server could not find the requested resource")
        if not rest:
            return self._resource_list(group, version)
        ns: str | None = None
        if (
            rest[0] == "namespaces"
            and len(rest) >= 3
            and not (len(rest) == 3 and rest[2] in ("status", "finalize"))
        ):
            ns, rest = rest[1], rest[2:]
        rt = self.cluster.find_type(group, version, rest[0])
        if rt is None or len(rest) > 3:
            raise KubeError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else ""
        if sub and sub not in rt.subresources:
            raise KubeError(404, "NotFound", "the server could not find the requested resource")
        if rt.namespaced and name is not None and ns is None:
            raise KubeError(404, "NotFound", "the server could not find the requested resource")
        return self._serve(rt, method, "" if not rt.namespaced else ns, name, sub, query, headers, body)

    def _serve(
        self,
        rt: ResourceType,
        method: str,
        ns: str | None,
        name: str | None,
        sub: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, Body]:
        c = self.cluster
        manager = query.get("fieldManager") or headers.get("user-agent", "unknown").split("/")[0] or "unknown"
        if name is None:
            if method == "GET":
                if query.get("watch") in ("true", "1"):
                    raise KubeError(405, "MethodNotAllowed", "watch is not supported by the fake API server")
                return 200, c.list_objects(rt, ns, query.get("labelSelector"), query.get("fieldSelector"))
            if method == "POST" and ns is not None:
                return 201, c.create(rt, ns, _decode(body, "application/json"), manager)
            if method == "DELETE":
                return 200, c.delete_collection(
                    rt, ns, query.get("labelSelector"), query.get("fieldSelector")
                )
            raise KubeError(
                405, "MethodNotAllowed", f"the server does not allow this method on {rt.group_resource}"
            )
        assert ns is not None
        if sub == "log":
            if method != "GET":
                raise KubeError(405, "MethodNotAllowed", "the server does not allow this method on pods/log")
            asked = LogQuery.parse(query)
            if query.get("follow") in ("true", "1"):
                return 200, c.follow_log(ns, name, query.get("container"), asked)
            return 200, c.read_log(ns, name, query.get("container"), asked)
        if method == "GET":
            return 200, c.get(rt, ns, name)
        if method == "PUT":
            return 200, c.replace(rt, ns, name, _decode(body, "application/json"), sub, manager)
        if method == "DELETE":
            return 200, c.delete(rt, ns, name)
        if method == "PATCH":
            ctype = headers.get("content-type", "").split(";")[0].strip()
            if ctype not in PATCH_TYPES:
                raise KubeError(
                    415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {ctype}"
                )
            patch = _decode(body, ctype)
            if ctype == APPLY:
                if not query.get("fieldManager"):
                    raise KubeError(422, "Invalid", "PATCH /apply requires a fieldManager query parameter")
                existed = c.objects.get((rt.group, rt.plural, ns, name)) is not None
                out = c.apply(rt, ns, name, patch, manager, query.get("force") == "true", sub)
                return (200 if existed else 201), out
            return 200, c.patch(rt, ns, name, patch, ctype, sub, manager)
        raise KubeError(
            405, "MethodNotAllowed", f"the server does not allow this method on {rt.group_resource}"
        )

    # -- discovery ---------------------------------------------------------------------------------

    def _openapi(self, rest: list[str]) -> tuple[int, Obj]:
        """A schema-less OpenAPI v3 that says every kind takes `fieldValidation`: kubectl then leaves
        validation to the server instead of needing schemas."""
        gvs = {(g, v) for g, v, _ in list(self.cluster.types)}
        if rest == ["v3"]:
            paths: Obj = {}
            for g, v in sorted(gvs):
                gv = f"apis/{g}/{v}" if g else f"api/{v}"
                paths[gv] = {"serverRelativeURL": f"/openapi/v3/{gv}?hash=0"}
            return 200, {"paths": paths}
        if len(rest) >= 3 and rest[0] == "v3":
            group, version = (
                ("", rest[2]) if rest[1] == "api" else (rest[2], rest[3] if len(rest) > 3 else "")
            )
            types = [rt for (g, v, _), rt in list(self.cluster.types.items()) if (g, v) == (group, version)]
            param = {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}
            ops: Obj = {}
            for rt in types:
                prefix = f"/apis/{rt.group}/{rt.version}" if rt.group else f"/api/{rt.version}"
                scope = "/namespaces/{namespace}" if rt.namespaced else ""
                gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
                op: Obj = {"x-kubernetes-group-version-kind": gvk, "parameters": [param], "responses": {}}
                ops[f"{prefix}{scope}/{rt.plural}/{{name}}"] = {"patch": op, "put": op}
                ops[f"{prefix}{scope}/{rt.plural}"] = {"post": op}
            info = {"title": "Kubernetes", "version": self.version_info["gitVersion"]}
            return 200, {"openapi": "3.0.0", "info": info, "paths": ops, "components": {"schemas": {}}}
        raise KubeError(404, "NotFound", "the server could not find the requested resource")

    def _versions(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for group, version, _ in list(self.cluster.types):
            if group and version not in out.setdefault(group, []):
                out[group].append(version)
        return out

    def _group_entry(self, group: str, versions: list[str]) -> Obj:
        gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"name": group, "versions": gvs, "preferredVersion": gvs[0]}

    def _group_list(self) -> Obj:
        groups = [self._group_entry(g, vs) for g, vs in self._versions().items()]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def _group(self, group: str) -> tuple[int, Obj]:
        versions = self._versions().get(group)
        if not versions:
            raise KubeError(404, "NotFound", "the server could not find the requested resource")
        return 200, {"kind": "APIGroup", "apiVersion": "v1", **self._group_entry(group, versions)}

    def _resource_list(self, group: str, version: str) -> tuple[int, Obj]:
        types = [rt for (g, v, _), rt in list(self.cluster.types.items()) if g == group and v == version]
        if not types:
            raise KubeError(404, "NotFound", "the server could not find the requested resource")
        resources = [r for rt in types for r in rt.discovery()]
        gv = f"{group}/{version}" if group else version
        return 200, {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": gv,
            "resources": resources,
        }


def _decode(body: bytes, ctype: str) -> Any:
    try:
        return yaml.safe_load(body) if ctype == APPLY else json.loads(body or b"null")
    except (ValueError, yaml.YAMLError) as e:
        raise KubeError(400, "BadRequest", f"the body of the request could not be decoded: {e}") from e


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], fake: FakeKubeServer
    ) -> None:
        super().__init__(address, handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stall
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if fake.unreachable:
            self.close_connection = True
            return
        fake.requests.append((method, self.path))
        failure = fake._take_failure()
        retry_after = failure[1] if failure is not None else None
        try:
            if failure is not None:
                code = failure[0]
                raise KubeError(code, _REASONS.get(code, "InternalError"), f"injected failure ({code})")
            headers = {k.lower(): v for k, v in self.headers.items()}
            code, payload = fake.handle(method, self.path, headers, body)
        except KubeError as e:
            code, payload = e.code, e.status()
        except Exception as e:  # a bug in the fake: answer like an apiserver would, not by hanging up
            code, payload = (
                500,
                KubeError(500, "InternalError", f"fake kube: {type(e).__name__}: {e}").status(),
            )
        if isinstance(payload, Iterator):
            self._stream(payload)
            return
        text = payload if isinstance(payload, str) else None
        data = (json.dumps(payload) if text is None else text).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json" if text is None else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", str(retry_after))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, batches: Iterator[list[str]]) -> None:
        """A followed log: a chunk per batch, as the batches come, until they end (the final chunk is
        sent and the connection stays usable) or the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for batch in batches:
                if batch:
                    data = "".join(line + "\n" for line in batch).encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                elif self._hung_up():
                    self.close_connection = True
                    return
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()
        if not self.server.fake.cluster.logs_followed:
            self.close_connection = True  # the server stops: do not wait for another request

    def _hung_up(self) -> bool:
        """Whether the client closed its side (readable, yet nothing to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True


_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
