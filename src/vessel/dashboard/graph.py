"""A run's workflow laid out as a graph by the server (drawn as SVG by `templates/graph.html`): no layout
library, no script.

Steps are placed in columns. In `StepByStep` mode each step is a column of its own, joined to the
next; in `DAG` mode a step's column is one past the furthest step it waits for (`dependsOn`, and the
steps whose outputs its `inputs` read), and an edge joins each such step to it. A step group is a box
holding its sub-steps, laid out inside it the same way by the run's sub-step mode. Each node carries
its step's phase, duration, attempts, reason and message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from vessel.store.records import StepPhase, StepRecord

NODE_W = 200
NODE_H = 58
GAP_X = 40  # between columns: room for the edges
GAP_Y = 14
PAD = 10  # inside a group, around its sub-steps
HEADER = 24  # a group's title line
MARGIN = 8


@dataclass(frozen=True)
class Node:
    name: str
    type: str
    phase: str
    reason: str
    message: str
    attempts: int
    duration: float | None
    x: float = 0
    y: float = 0
    width: float = NODE_W
    height: float = NODE_H
    group: bool = False


Edge = tuple[float, float, float, float]  # from (x, y) to (x, y)


@dataclass
class Box:
    """One step (or group) being placed: its node and, for a group, its laid-out inside."""

    node: Node
    width: float
    height: float
    inner: Layout | None = None


@dataclass
class Layout:
    width: float = 0
    height: float = 0
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


@dataclass(frozen=True)
class Graph:
    width: float
    height: float
    nodes: tuple[Node, ...]
    edges: tuple[str, ...]  # SVG path data
    steps: tuple[Node, ...]  # every node in the plan's order, groups before their sub-steps (the table)
    sub_steps: frozenset[str] = frozenset()  # the names of the steps inside a group


def graph(plan: Mapping[str, Any], records: Mapping[str, StepRecord], now: float) -> Graph:
    sub_mode = str(plan.get("subStepMode", "DAG"))
    boxes = [_box(step, records, now, sub_mode) for step in plan.get("steps", [])]
    layout = _place(plan.get("steps", []), boxes, str(plan.get("mode", "StepByStep")))
    shifted = _shift(layout, MARGIN, MARGIN)
    ordered = _in_plan_order(plan.get("steps", []), shifted.nodes)
    edges = tuple(_curve(*edge) for edge in shifted.edges)
    subs = frozenset(str(sub["name"]) for step in plan.get("steps", []) for sub in step.get("subSteps") or [])
    size = (layout.width + 2 * MARGIN, layout.height + 2 * MARGIN)
    return Graph(*size, tuple(shifted.nodes), edges, ordered, subs)


def _node(step: Mapping[str, Any], records: Mapping[str, StepRecord], now: float) -> Node:
    record = records.get(str(step["name"]))
    if record is None:  # a plan without its record: shown as what it will be
        return Node(str(step["name"]), str(step.get("type", "")), StepPhase.PENDING, "", "", 0, None)
    return Node(
        record.name,
        record.type,
        record.phase,
        record.reason,
        record.message,
        record.attempts,
        _duration(record, now),
        group=bool(step.get("subSteps")),
    )


def _duration(record: StepRecord, now: float) -> float | None:
    if record.started_at is None:
        return None
    end = record.finished_at if record.finished_at is not None else now
    return max(0.0, end - record.started_at)


def _box(step: Mapping[str, Any], records: Mapping[str, StepRecord], now: float, sub_mode: str) -> Box:
    node = _node(step, records, now)
    subs = step.get("subSteps") or []
    if not subs:
        return Box(node, NODE_W, NODE_H)
    inner = _place(subs, [_box(s, records, now, sub_mode) for s in subs], sub_mode)
    width = max(NODE_W, inner.width + 2 * PAD)
    return Box(node, width, inner.height + 2 * PAD + HEADER, inner)


def _columns(steps: Sequence[Mapping[str, Any]], mode: str) -> list[int]:
    if mode != "DAG":
        return list(range(len(steps)))
    index = {str(s["name"]): i for i, s in enumerate(steps)}
    column: dict[int, int] = {}

    def place(i: int, seen: frozenset[int]) -> int:
        if i not in column:
            waits = [index[w] for w in _waits_for(steps[i], steps) if w in index and index[w] not in seen]
            column[i] = 1 + max((place(w, seen | {i}) for w in waits), default=-1)
        return column[i]

    return [place(i, frozenset()) for i in range(len(steps))]


def _waits_for(step: Mapping[str, Any], steps: Sequence[Mapping[str, Any]]) -> list[str]:
    """The steps `step` waits for in DAG mode: those it names in `dependsOn`, and those whose outputs
    its `inputs` read."""
    names = [str(n) for n in step.get("dependsOn") or []]
    wanted = {str(i.get("from", "")) for i in step.get("inputs") or []}
    for other in steps:
        if other is not step and wanted & {str(o.get("name", "")) for o in other.get("outputs") or []}:
            names.append(str(other["name"]))
    return names


def _place(steps: Sequence[Mapping[str, Any]], boxes: list[Box], mode: str) -> Layout:
    columns = _columns(steps, mode)
    count = max(columns, default=-1) + 1
    widths = [
        max((b.width for b, c in zip(boxes, columns, strict=True) if c == k), default=0) for k in range(count)
    ]
    xs = [sum(widths[:k]) + GAP_X * k for k in range(count)]
    heights = [0.0] * count
    layout = Layout()
    where: dict[str, Node] = {}
    for box, column in zip(boxes, columns, strict=True):
        x, y = xs[column], heights[column]
        heights[column] += box.height + GAP_Y
        node = _at(box.node, x, y, box.width, box.height)
        layout.nodes.append(node)
        where[node.name] = node
        if box.inner is not None:
            inside = _shift(box.inner, x + PAD, y + HEADER + PAD)
            layout.nodes += inside.nodes
            layout.edges += inside.edges
    layout.edges += _edges(steps, where, mode)
    layout.width = xs[-1] + widths[-1] if count else 0
    layout.height = max(heights, default=0.0) - (GAP_Y if count else 0)
    return layout


def _edges(steps: Sequence[Mapping[str, Any]], where: Mapping[str, Node], mode: str) -> list[Edge]:
    names = [str(s["name"]) for s in steps]
    if mode != "DAG":
        pairs = list(pairwise(names))
    else:
        pairs = [(w, str(s["name"])) for s in steps for w in _waits_for(s, steps) if w in where]
    return [_joining(where[a], where[b]) for a, b in pairs if a in where and b in where]


def _joining(a: Node, b: Node) -> Edge:
    """From the right of `a` to the left of `b`, at the height of a step's middle (a group's title)."""
    return (a.x + a.width, a.y + min(a.height, NODE_H) / 2, b.x, b.y + min(b.height, NODE_H) / 2)


def _curve(x1: float, y1: float, x2: float, y2: float) -> str:
    bend = max(12.0, (x2 - x1) / 2)
    return f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"


def _at(node: Node, x: float, y: float, width: float, height: float) -> Node:
    return Node(
        node.name, node.type, node.phase, node.reason, node.message, node.attempts, node.duration,
        x, y, width, height, node.group,
    )  # fmt: skip


def _shift(layout: Layout, dx: float, dy: float) -> Layout:
    moved = [_at(n, n.x + dx, n.y + dy, n.width, n.height) for n in layout.nodes]
    edges = [(x1 + dx, y1 + dy, x2 + dx, y2 + dy) for x1, y1, x2, y2 in layout.edges]
    return Layout(layout.width, layout.height, moved, edges)


def _in_plan_order(steps: Sequence[Mapping[str, Any]], nodes: Sequence[Node]) -> tuple[Node, ...]:
    by_name = {n.name: n for n in nodes}
    order = [str(sub["name"]) for step in steps for sub in (step, *(step.get("subSteps") or []))]
    return tuple(by_name[n] for n in order if n in by_name)
