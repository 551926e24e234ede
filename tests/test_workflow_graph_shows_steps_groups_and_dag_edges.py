"""The dashboard's workflow graph (dashboard/graph.py), laid out by the server: in DAG mode a step stands
to the right of every step it waits for (`dependsOn`, or the step whose outputs its inputs read) with
an edge from each; in StepByStep mode each step follows the one before; a step group's box holds its
sub-steps; each node carries its step's phase, duration and attempts."""

from __future__ import annotations

from typing import Any

from vessel.dashboard.graph import Graph, Node, graph
from vessel.store.records import StepRecord


def _by_name(g: Graph) -> dict[str, Node]:
    return {n.name: n for n in g.nodes}


def _edge_ends(g: Graph) -> set[tuple[str, str]]:
    """(from, to) of every edge, found by where each path starts and ends."""
    nodes = _by_name(g)
    ends = set()
    for path in g.edges:
        start, *_, end = path.replace("M", "").replace("C", "").split()
        (x1, y1), (x2, y2) = (tuple(map(float, p.split(","))) for p in (start, end))
        source = next(
            n for n in nodes.values() if abs(n.x + n.width - x1) < 0.2 and n.y <= y1 <= n.y + n.height
        )
        target = next(n for n in nodes.values() if abs(n.x - x2) < 0.2 and n.y <= y2 <= n.y + n.height)
        ends.add((source.name, target.name))
    return ends


def test_dag_steps_stand_right_of_what_they_wait_for_with_an_edge_from_each() -> None:
    plan: dict[str, Any] = {
        "mode": "DAG",
        "subStepMode": "DAG",
        "steps": [
            {"name": "d", "type": "deploy", "dependsOn": ["b", "c"]},
            {"name": "a", "type": "deploy", "outputs": [{"name": "addr", "valueFrom": "x"}]},
            {"name": "b", "type": "deploy", "dependsOn": ["a"]},
            {"name": "c", "type": "deploy", "inputs": [{"from": "addr"}]},
        ],
    }
    g = graph(plan, {}, now=0.0)
    at = _by_name(g)
    assert at["a"].x < at["b"].x == at["c"].x < at["d"].x
    assert _edge_ends(g) == {("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")}
    assert all(n.phase == "pending" for n in g.nodes)


def test_step_by_step_follows_the_order_and_a_group_holds_its_sub_steps() -> None:
    plan: dict[str, Any] = {
        "mode": "StepByStep",
        "subStepMode": "StepByStep",
        "steps": [
            {"name": "first", "type": "apply-component"},
            {
                "name": "group",
                "type": "step-group",
                "subSteps": [{"name": "x", "type": "suspend"}, {"name": "y", "type": "deploy"}],
            },
            {"name": "last", "type": "notification"},
        ],
    }
    records = {
        "first": StepRecord(
            "first", "apply-component", phase="succeeded", attempts=2, started_at=10.0, finished_at=13.5
        ),
        "group": StepRecord("group", "step-group", phase="running", started_at=13.5),
        "x": StepRecord(
            "x", "suspend", parent="group", phase="suspending", started_at=14.0, message="waiting"
        ),
        "y": StepRecord("y", "deploy", parent="group"),
        "last": StepRecord("last", "notification"),
    }
    g = graph(plan, records, now=20.0)
    at = _by_name(g)
    assert at["first"].x < at["group"].x < at["last"].x
    box = at["group"]
    assert box.group
    for sub in (at["x"], at["y"]):
        assert box.x < sub.x and sub.x + sub.width < box.x + box.width
        assert box.y < sub.y and sub.y + sub.height < box.y + box.height
    assert _edge_ends(g) == {("first", "group"), ("group", "last"), ("x", "y")}
    assert (at["first"].phase, at["first"].duration, at["first"].attempts) == ("succeeded", 3.5, 2)
    assert (at["x"].phase, at["x"].duration, at["x"].message) == ("suspending", 6.0, "waiting")
    assert at["y"].duration is None
    assert [n.name for n in g.steps] == ["first", "group", "x", "y", "last"]
    assert g.sub_steps == {"x", "y"}
    assert g.width >= at["last"].x + at["last"].width and g.height >= box.y + box.height
