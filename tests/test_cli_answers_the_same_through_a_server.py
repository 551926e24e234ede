"""The same command prints the same thing and exits with the same code whether the CLI works on this
machine's store (embedded) or through a real `vessel server` (remote: VESSEL_SERVER and VESSEL_TOKEN).

Reading commands are compared on one store: the server's, which the embedded CLI opens too (a
directory target, which both processes see alike). Delivering commands change what they act on, so
each mode gets a store of its own, set up alike, and runs the same sequence: project create and list,
member add and remove, target add, set-default and remove, dry-run, up (a workflow that suspends for
approval), workflow resume, up again (unchanged), the errors of a bad file and of a missing
application, delete.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server_process import ServerProcess, admin_token, with_target
from vessel.cli.main import app as cli

APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: web}
spec:
  components:
    - {name: web, type: webservice, properties: {image: "nginx:1.27", ports: [{port: 80}]}}
"""
GATED = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: gated
spec:
  components:
    - name: gated
      type: webservice
      properties: {image: "nginx:1.27"}
  workflow:
    steps:
      - {name: approve, type: suspend}
      - {name: go, type: apply-component, properties: {component: gated}}
"""
BAD = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: bad}
spec:
  components:
    - name: bad
      type: webservice
      properties:
        image: "nginx:1"
        replicas: three
"""
GREETING = """\
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {name: greeting}
spec:
  workload: {definition: {apiVersion: v1, kind: ConfigMap}}
  schematic:
    jinja:
      parameters:
        type: object
        properties: {message: {type: string, default: hello}}
      templates:
        kubernetes: |
          output:
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ context.name }}
            data:
              message: {{ parameter.message }}
"""
INSIDE_A_STRING = GREETING.replace("name: greeting", "name: inside").replace(
    "message: {{ parameter.message }}", "message: say {{ parameter.message }}"
)
PICKY = """\
apiVersion: core.oam.dev/v1beta1
kind: TraitDefinition
metadata: {name: picky}
spec:
  schematic:
    jinja:
      parameters: {type: object, properties: {size: {type: string, default: none}}}
      templates:
        kubernetes: |
          {% if parameter.size == "none" %}{{ fail("pick a size") }}{% endif %}
          patch: {}
"""
BROKEN = """\
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {name: broken}
spec:
  workload: {definition: {apiVersion: v1, kind: ConfigMap}}
  schematic:
    jinja:
      templates:
        kubernetes: |
          output: {{ unclosed
"""
NO_SERVER = {"VESSEL_SERVER": None, "VESSEL_TOKEN": None, "COLUMNS": "200"}


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str


@dataclass
class Mode:
    """How to run the CLI: on `home`'s store, or through `server` (then `home` is only where the CLI's
    own config would live)."""

    home: Path
    server: ServerProcess | None = None

    def run(self, *args: str) -> Ran:
        env = {**NO_SERVER, "VESSEL_HOME": str(self.home)}
        if self.server is not None:
            env |= {"VESSEL_SERVER": self.server.url, "VESSEL_TOKEN": self.server.token}
        result = CliRunner().invoke(cli, list(args), env=env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Ran(result.exit_code, result.stdout, result.stderr)


def _directory_target(home: Path) -> None:
    with_target(home, "out", "directory", {"path": str(home / "out")})


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    place = tmp_path_factory.mktemp("files")
    for name, text in (("app.yaml", APP), ("gated.yaml", GATED), ("bad.yaml", BAD)):
        (place / name).write_text(text)
    (place / "defs" / "more").mkdir(parents=True)
    (place / "defs" / "greeting.yaml").write_text(GREETING)
    (place / "defs" / "more" / "picky.yml").write_text(PICKY)
    (place / "broken.yaml").write_text(BROKEN)
    (place / "inside.yaml").write_text(INSIDE_A_STRING)
    return place


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, files: Path) -> Iterator[tuple[Mode, Mode]]:
    """(embedded, remote) on one store holding `web`, delivered through the server and settled."""
    home = tmp_path_factory.mktemp("shared")
    _directory_target(home)
    server = ServerProcess(home, admin_token(home)).start("--interval", "0.2")
    try:
        remote = Mode(tmp_path_factory.mktemp("client"), server)
        delivered = remote.run("up", "-f", str(files / "app.yaml"), "--timeout", "60s")
        assert delivered.code == 0, delivered
        assert "web is running (revision 1)" in delivered.stdout
        yield Mode(home), remote
    finally:
        server.kill()


READS = [
    ("status", "web"),
    ("status", "web", "-o", "json"),
    ("status", "web", "--tree"),
    ("status", "web", "--tree", "-o", "json"),
    ("status", "web", "-w", "--timeout", "30s"),  # settled: printed once, exit 0
    ("ls",),
    ("ls", "-A", "-o", "yaml"),
    ("events", "web"),
    ("events", "web", "-o", "json"),
    ("revision", "list", "web"),
    ("revision", "show", "web", "1"),
    ("revision", "show", "web", "1", "-o", "table"),
    ("diff", "web"),
    ("diff", "web", "-o", "json"),
    ("target", "list", "-o", "json"),
    ("def", "show", "webservice"),
    ("status", "missing"),
    ("revision", "show", "web", "9"),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("args", READS, ids=lambda a: " ".join(a))
def test_a_reading_command_answers_the_same(shared: tuple[Mode, Mode], args: tuple[str, ...]) -> None:
    embedded, remote = shared
    here, there = embedded.run(*args), remote.run(*args)
    assert there == here


DEFINITION_COMMANDS = [  # relative paths: each made absolute under the `files` fixture's folder
    ("def", "render", "webservice", "--set", "image=nginx:1", "--set", "ports[0]=x"),
    ("def", "render", "webservice", "--set", "image=nginx:1", "--set", "cpu=0.5"),
    ("def", "render", "scaler", "--set", "replicas=3", "-o", "json"),
    ("def", "render", "webservice", "--set", "replicas=three"),
    ("def", "render", "webservis"),
    ("def", "vet", "@defs"),  # a directory: a definition and a note (a trait refusing its defaults)
    ("def", "vet", "@defs/greeting.yaml", "@broken.yaml"),  # the error at its line of the second file
    ("def", "vet", "@defs", "@inside.yaml"),  # a render error naming the template's file and line
    ("def", "vet", "@inside.yaml"),  # … and no file of its own: it is at no line of one
    ("def", "vet", "@nowhere.yaml"),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("args", DEFINITION_COMMANDS, ids=lambda a: " ".join(a))
def test_a_definition_command_answers_the_same(
    shared: tuple[Mode, Mode], files: Path, args: tuple[str, ...]
) -> None:
    embedded, remote = shared
    concrete = [str(files / a[1:]) if a.startswith("@") else a for a in args]
    here, there = embedded.run(*concrete), remote.run(*concrete)
    assert there == here
    assert here.stdout or here.stderr, "the command said something"


@pytest.fixture(scope="module")
def apart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Mode, Mode]]:
    """(embedded, remote), each on a store of its own with the same targets."""
    embedded_home, server_home = tmp_path_factory.mktemp("embedded"), tmp_path_factory.mktemp("server")
    for home in (embedded_home, server_home):
        _directory_target(home)
    admin_token(embedded_home)  # the same users on both sides
    server = ServerProcess(server_home, admin_token(server_home)).start("--interval", "0.2")
    try:
        yield Mode(embedded_home), Mode(tmp_path_factory.mktemp("client"), server)
    finally:
        server.kill()


def _sequence(files: Path) -> list[tuple[str, ...]]:
    gated, bad = str(files / "gated.yaml"), str(files / "bad.yaml")
    spare = ("target", "add", "spare", "--type", "directory", "--path", str(files / "spare"))
    return [
        ("project", "create", "shop", "--namespace", "shop", "--target", "out"),
        ("project", "create", "shop"),
        ("member", "add", "shop", "admin", "owner"),
        ("member", "add", "shop", "nobody", "viewer"),
        ("project", "list"),
        ("project", "list", "-o", "json"),
        ("project", "set", "shop", "--namespace", "shop", "--namespace", "shop-b"),
        ("project", "set", "shop", "--any-target", "--target", "out"),
        ("project", "set", "nope", "--any-target"),
        ("project", "show", "shop"),
        ("project", "show", "shop", "-o", "json"),
        ("member", "remove", "shop", "admin"),
        spare,
        ("target", "set-default", "spare"),
        ("target", "set-default", "out"),
        ("target", "remove", "spare"),
        ("target", "remove", "spare"),
        ("dry-run", "-f", str(files / "app.yaml")),
        ("dry-run", "-f", str(files / "app.yaml"), "-o", "json"),
        ("up", "-f", bad),
        ("up", "-f", str(files / "app.yaml"), "-f", bad),  # the line of the second file, nothing stored
        ("up", "-f", gated, "--timeout", "60s"),
        ("workflow", "resume", "gated", "--timeout", "60s"),
        ("up", "-f", gated, "--no-wait"),
        ("ls",),
        ("workflow", "resume", "missing"),
        ("delete", "gated", "-y"),
        ("delete", "gated", "-y"),
        ("ls",),
        ("project", "delete", "nope"),
        ("project", "delete", "shop"),
        ("project", "list"),
    ]


@pytest.mark.timeout(180)
def test_delivering_commands_answer_the_same(apart: tuple[Mode, Mode], files: Path) -> None:
    embedded, remote = apart
    for args in _sequence(files):
        here, there = embedded.run(*args), remote.run(*args)
        if args == ("ls",):  # the UPDATED column is each store's own time
            here, there = _without_times(here), _without_times(there)
        assert there == here, f"vessel {' '.join(args)}"


def _without_times(ran: Ran) -> Ran:
    lines = [" ".join(w for w in line.split() if not _clock_like(w)) for line in ran.stdout.splitlines()]
    return Ran(ran.code, "\n".join(lines), ran.stderr)


def _clock_like(word: str) -> bool:
    return word.count(":") == 2 or word.count("-") == 2
