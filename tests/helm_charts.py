"""Real Helm charts for tests, made on the spot: chart directories, their .tgz archives, and an HTTP chart
repository (index.yaml + archives) served on 127.0.0.1 by a thread of the test process.

A chart archive is what `helm package` writes: a gzipped tar whose single top folder is the chart's name.
The index is what `helm repo index` writes: `entries.<chart>` lists each version with its `urls` and the
archive's sha256 `digest`.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

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
