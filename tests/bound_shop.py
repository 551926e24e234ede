"""Helpers for tests of bindings on rendered targets (a directory, a fake Kubernetes API server): the
application `shop` (namespace shop, component `web`) bound with `uses` to shared services, the CLI run
in-process, and an engine harness whose `k8s` target is a fake API server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from typer.testing import CliRunner

from vessel.addons.catalog import BUILTIN
from vessel.cli.main import app as cli
from vessel.definitions import build_registry, load_path
from vessel.testing.engine import Harness
from vessel.testing.fake_kube import FakeKubeServer

runner = CliRunner()


def vessel(*args: str) -> str:
    """The CLI's output; the command must succeed."""
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def bound_shop(image: str, *addons: str, on_delete: str = "") -> str:
    """`shop` running `image`, with one `uses` trait per addon (and `onDelete` when given)."""
    extra = f", onDelete: {on_delete}" if on_delete else ""
    traits = "".join(
        f"        - type: uses\n          properties: {{addon: {addon}{extra}}}\n" for addon in addons
    )
    return f"""\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: shop, namespace: shop}}
spec:
  components:
    - name: web
      type: webservice
      properties: {{image: "{image}"}}
      traits:
{traits}"""


@contextlib.contextmanager
def kube_harness(tmp_path: Path) -> Iterator[tuple[Harness, FakeKubeServer]]:
    """A harness with the built-in `bindings` and `postgresql` definitions, its target `k8s` a fake API
    server (whose Job controller runs until the caller turns it off)."""
    documents = [
        doc
        for addon in ("bindings", "postgresql")
        for doc in load_path(Path(BUILTIN.location) / addon / "definitions")
    ]
    harness = Harness.create(
        f"sqlite:///{tmp_path / 'vessel.db'}", registry=build_registry(documents=documents, plugins=False)
    )
    with FakeKubeServer() as server:
        harness.add_target("k8s", "kubernetes", {"kubeconfig": str(server.kubeconfig(tmp_path / "kc"))})
        yield harness, server
    harness.store.close()
