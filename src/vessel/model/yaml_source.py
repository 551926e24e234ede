"""Strict YAML reading with line numbers.

PyYAML's C parser composes the node graph; this module builds plain Python data from it while
rejecting what a permissive loader lets through: duplicate keys (which silently override), merge keys,
alias bombs (a few bytes that expand to billions of nodes), absurd nesting (checked on the parser's
events before composing, which recurses per level: see `nesting.py`), oversized inputs and integers
that do not fit in 64 bits (Kubernetes, Go and JSON Schema tools read int64; a 5,000-digit integer would
otherwise stop Python's int conversion with a traceback). It also records the line of every node, so
any later error can name `file:line: field.path`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from vessel.errors import Location, ParseError
from vessel.model.input_bytes import read_bytes
from vessel.model.nesting import too_deep
from vessel.model.paths import Path, format_path

try:
    _Loader: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class Limits:
    """Explicit caps on what one input may cost to read."""

    max_bytes: int = 4 * 1024 * 1024
    max_nodes: int = 200_000  # counted after alias expansion: this is what stops alias bombs
    max_depth: int = 64
    max_documents: int = 1_000


DEFAULT_LIMITS = Limits()
INT_TAG = "tag:yaml.org,2002:int"
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
SHOWN_PARTS = 12  # of the field path of a collection nested too deep
INT_TEXT = 100  # characters of an integer's text worth converting (0b and 64 digits, with underscores)


@dataclass(frozen=True)
class SourceMap:
    """Which line each field path of one document came from.

    `grafts` map the paths below a prefix to another document's source: an Application whose workflow
    or policies were taken from standalone `Workflow`/`Policy` objects points errors in those parts at
    the file and line they were written in, while naming the field as the Application sees it."""

    file: str | None
    lines: dict[Path, int] = field(default_factory=dict, compare=False, repr=False)
    grafts: tuple[tuple[Path, SourceMap], ...] = field(default=(), compare=False, repr=False)

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor the parser knows about."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def locate(self, path: Path, prefix: Path = ()) -> Location:
        full = (*prefix, *path)
        for graft, other in self.grafts:
            if full[: len(graft)] == graft:
                return Location(other.file, other.line_of(full[len(graft) :]), format_path(full))
        return Location(self.file, self.line_of(full), format_path(full))

    def grafted(self, prefix: Path, other: SourceMap) -> SourceMap:
        """This map, with the paths below `prefix` found in `other` (at `other`'s top level)."""
        return SourceMap(self.file, self.lines, ((prefix, other), *self.grafts))


@dataclass(frozen=True)
class Document:
    """One YAML document: its data, where it came from, and its index in the file."""

    data: Any
    source: SourceMap
    index: int = 0

    @property
    def kind(self) -> str | None:
        """The document's `kind` if it is a string (anything else is no kind Vessel knows)."""
        kind = self.data.get("kind") if isinstance(self.data, dict) else None
        return kind if isinstance(kind, str) else None


def read_file(path: str, limits: Limits = DEFAULT_LIMITS) -> list[Document]:
    """Read every document of a YAML file, strictly."""
    try:
        raw = read_bytes(path, limits.max_bytes + 1)
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror}", Location(path)) from None
    if len(raw) > limits.max_bytes:
        raise ParseError(f"file is larger than the {limits.max_bytes} byte limit", Location(path))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text (byte {exc.start})", Location(path)) from None
    return read_text(text, path, limits)


def read_text(text: str, file: str | None = None, limits: Limits = DEFAULT_LIMITS) -> list[Document]:
    """Read every non-empty document of YAML text, strictly."""
    if len(text) > limits.max_bytes:
        raise ParseError(f"input is larger than the {limits.max_bytes} byte limit", Location(file))
    docs: list[Document] = []
    try:
        _check_nesting(text, file, limits)
        for node in _compose_all(text):
            if len(docs) >= limits.max_documents:
                raise ParseError(f"more than {limits.max_documents} YAML documents", Location(file))
            builder = _Builder(file, limits)
            data = builder.build(node, (), 0)
            docs.append(Document(data, SourceMap(file, builder.lines), len(docs)))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ParseError(f"YAML syntax error: {problem}", Location(file, line)) from None
    except yaml.YAMLError as exc:
        raise ParseError(f"YAML error: {exc}", Location(file)) from None
    return docs


def _check_nesting(text: str, file: str | None, limits: Limits) -> None:
    found = too_deep(text, _Loader, limits.max_depth)
    if found is not None:
        shown = format_path(found.path[:SHOWN_PARTS]) + ("…" if len(found.path) > SHOWN_PARTS else "")
        raise ParseError(f"nesting deeper than {limits.max_depth} levels", Location(file, found.line, shown))


def _compose_all(text: str) -> Iterator[yaml.Node]:
    for node in yaml.compose_all(text, Loader=_Loader):
        if node is not None:
            yield node


class _Builder:
    def __init__(self, file: str | None, limits: Limits):
        self.file = file
        self.limits = limits
        self.lines: dict[Path, int] = {}
        self.nodes = 0
        # One per document: a constructor remembers every node it constructed (and the value), so a
        # shared one kept every scalar of every document a long-running process ever read.
        self._constructor = yaml.constructor.SafeConstructor()

    def _fail(self, message: str, node: yaml.Node, path: Path) -> ParseError:
        return ParseError(message, Location(self.file, node.start_mark.line + 1, format_path(path)))

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise self._fail(
                f"document expands to more than {self.limits.max_nodes} nodes (alias bomb?)", node, path
            )
        if depth > self.limits.max_depth:
            raise self._fail(f"nesting deeper than {self.limits.max_depth} levels", node, path)
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self._fail(
                    "YAML merge keys (<<) are not supported; write the fields out", key_node, path
                )
            key = self._key(key_node, path)
            if key in out:
                raise self._fail(f"duplicate key {key!r}", key_node, (*path, key))
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, (*path, key), depth + 1)
        return out

    def _key(self, node: yaml.Node, path: Path) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self._fail("mapping keys must be plain scalars", node, path)
        if node.tag == INT_TAG:
            return str(node.value)  # Kubernetes reads `8080:` as "8080"
        value = self._scalar(node, path)
        return value if isinstance(value, str) else str(node.value)

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        if node.tag in ("tag:yaml.org,2002:timestamp",):
            return str(node.value)  # JSON has no dates; Kubernetes keeps them as strings
        if node.tag == "tag:yaml.org,2002:binary":
            raise self._fail("binary (!!binary) values are not supported", node, path)
        if node.tag == INT_TAG and len(str(node.value)) > INT_TEXT:
            raise self._out_of_range(node, path)
        try:
            value = self._constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise self._fail(f"cannot read value: {exc.problem}", node, path) from None
        if isinstance(value, datetime.date):
            return str(node.value)
        if type(value) is int and not INT_MIN <= value <= INT_MAX:
            raise self._out_of_range(node, path)
        return value

    def _out_of_range(self, node: yaml.Node, path: Path) -> ParseError:
        text = str(node.value)
        shown = text if len(text) <= 24 else f"{text[:12]}…{text[-6:]} ({len(text)} characters)"
        return self._fail(
            f"integer {shown} is out of range: integers must fit in 64 bits ({INT_MIN} to {INT_MAX})",
            node,
            path,
        )
