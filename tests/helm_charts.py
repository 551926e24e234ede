"""Real Helm charts for tests, made on the spot: chart directories, their .tgz archives, and an HTTP chart
repository (index.yaml + archives) served on 127.0.0.1 by a thread of the test process.

A chart archive is what `helm package` writes: a gzipped tar whose single top folder is the chart's name.
The index is what `helm repo index` writes: `entries.<chart>` lists each version with its `urls` and the
archive's sha256 `digest`.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from vessel.definitions.registry import Registry, build_registry
from vessel.helm.definition import helmchart_definition
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer

CHART_YAML = "apiVersion: v2\nname: {name}\nversion: {version}\n"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
        - name: web
          image: {{ .Values.image | quote }}
"""

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{{{ .Release.Name }}}}-{suffix}
data:
  chart: {{{{ .Chart.Name }}}}-{{{{ .Chart.Version }}}}
"""

SCHEMA = """\
{"type": "object",
 "properties": {"replicaCount": {"type": "integer", "minimum": 1}, "image": {"type": "string"}},
 "required": ["image"]}
"""


def chart_files(name: str = "web", version: str = "0.1.0", config: str = "settings") -> dict[str, str]:
    """A small chart: a Deployment from values, a ConfigMap named `<release>-<config>`, notes."""
    return {
        "Chart.yaml": CHART_YAML.format(name=name, version=version),
        "values.yaml": "replicaCount: 1\nimage: nginx:1.27\n",
        "templates/deployment.yaml": DEPLOYMENT,
        "templates/configmap.yaml": CONFIGMAP.format(suffix=config),
        "templates/NOTES.txt": "Thanks for installing {{ .Chart.Name }}.\n",
    }


def write_chart(root: Path, files: Mapping[str, str]) -> Path:
    """The chart as a directory under `root` (named after the chart); returns it."""
    name = yaml.safe_load(files["Chart.yaml"])["name"]
    folder = root / name
    for path, text in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)
    return folder


def package(files: Mapping[str, str]) -> bytes:
    """The chart as a .tgz archive, as `helm package` makes it."""
    name = yaml.safe_load(files["Chart.yaml"])["name"]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass
class ChartRepository:
    """An HTTP chart repository on 127.0.0.1: `add` a chart version, then point `url` at it."""

    url: str = ""
    archives: dict[str, bytes] = field(default_factory=dict)  # path -> body
    entries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)  # path -> where a GET of it is sent (302)

    def add(self, files: Mapping[str, str], url: str | None = None, digest: str | None = None) -> None:
        """Publish a chart version; `url` and `digest` override what its index entry says."""
        meta = yaml.safe_load(files["Chart.yaml"])
        archive = package(files)
        path = f"charts/{meta['name']}-{meta['version']}.tgz"
        self.archives["/" + path] = archive
        entry = {
            "apiVersion": "v2",
            "name": meta["name"],
            "version": meta["version"],
            "urls": [url or path],
            "digest": digest or hashlib.sha256(archive).hexdigest(),
        }
        self.entries.setdefault(meta["name"], []).append(entry)

    def body(self, path: str) -> bytes | None:
        if path == "/index.yaml":
            return yaml.safe_dump({"apiVersion": "v1", "entries": self.entries}).encode()
        return self.archives.get(path)


@contextmanager
def serving(repository: ChartRepository) -> Iterator[ChartRepository]:
    """Serve `repository` on an ephemeral port of 127.0.0.1 while the block runs."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            repository.requests.append(self.path)
            if self.path in repository.redirects:
                self.send_response(302)
                self.send_header("Location", repository.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = repository.body(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with _served(Handler) as port:
        repository.url = f"http://127.0.0.1:{port}"
        yield repository


@contextmanager
def _served(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class OciRegistry:
    """An OCI registry on 127.0.0.1 holding Helm charts under `charts/<name>`, as `helm push` stores
    them: a manifest per version (its tag) whose config is the chart's metadata and whose one layer is
    the chart archive, each blob addressed by its sha256 digest. Plain HTTP, no authentication."""

    url: str = ""  # oci://127.0.0.1:PORT/charts
    blobs: dict[str, bytes] = field(default_factory=dict)
    manifests: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # "name:tag" or digest
    tags: dict[str, list[str]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def add(self, files: Mapping[str, str]) -> None:
        meta = yaml.safe_load(files["Chart.yaml"])
        layer, config = package(files), json.dumps(meta).encode()
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": self._blob(config, "application/vnd.cncf.helm.config.v1+json"),
            "layers": [self._blob(layer, "application/vnd.cncf.helm.chart.content.v1.tar+gzip")],
        }
        body = json.dumps(manifest).encode()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        self.manifests[f"{meta['name']}:{meta['version']}"] = self.manifests[digest] = (body, digest)
        self.tags.setdefault(meta["name"], []).append(meta["version"])

    def _blob(self, data: bytes, media_type: str) -> dict[str, Any]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def answer(self, path: str) -> tuple[bytes, str, str] | None:
        """(body, content type, digest) for a GET of `path`, or None (404)."""
        parts = path.split("?")[0].strip("/").split("/")  # v2, charts, NAME, what, reference
        if parts == ["v2"]:
            return b"{}", "application/json", ""
        if len(parts) != 5 or parts[:2] != ["v2", "charts"]:
            return None
        name, what, reference = parts[2:]
        if what == "tags" and reference == "list":
            return json.dumps({"name": f"charts/{name}", "tags": self.tags.get(name, [])}).encode(), "", ""
        if what == "manifests":
            found = self.manifests.get(reference) or self.manifests.get(f"{name}:{reference}")
            return (found[0], "application/vnd.oci.image.manifest.v1+json", found[1]) if found else None
        if what == "blobs" and reference in self.blobs:
            return self.blobs[reference], "application/octet-stream", reference
        return None


@contextmanager
def serving_oci(registry: OciRegistry) -> Iterator[OciRegistry]:
    """Serve `registry` on an ephemeral port of 127.0.0.1 while the block runs."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(send_body=True)

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def _answer(self, send_body: bool) -> None:
            registry.requests.append(self.path)
            found = registry.answer(self.path)
            body, media_type, digest = found or (b"", "", "")
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", media_type or "application/json")
            self.send_header("Content-Length", str(len(body)))
            if digest:
                self.send_header("Docker-Content-Digest", digest)
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with _served(Handler) as port:
        registry.url = f"oci://127.0.0.1:{port}/charts"
        yield registry


# A chart may carry a CRD and a test hook: what rendering does with each (tests of the helmchart type).
CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
"""
TEST_HOOK = """\
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations: {"helm.sh/hook": test}
spec: {containers: [{name: t, image: busybox}]}
"""


def helm_registry() -> Registry:
    """The built-in definitions plus `helmchart` (an extra: `vessel[helm]`)."""
    found = build_registry(plugins=False)
    found.add(helmchart_definition())
    return found


@contextmanager
def helm_harness(kube: FakeKubeServer, tmp_path: Path) -> Iterator[Harness]:
    """An engine on a SQLite store in `tmp_path` that knows `helmchart`, with target `k` on `kube`."""
    harness = Harness.create(f"sqlite:///{tmp_path / 'vessel.db'}", registry=helm_registry())
    harness.add_target("k", "kubernetes", {"kubeconfig": str(kube.kubeconfig(tmp_path / "kubeconfig"))})
    try:
        yield harness
    finally:
        harness.store.close()
