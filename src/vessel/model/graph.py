"""Dependency graphs: cycle detection and a stable topological order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Protocol


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class _Input(Protocol):
    @property
    def source(self) -> str: ...


class Node(Protocol):
    """A component or a workflow step: what dependsOn and inputs/outputs are declared on."""

    @property
    def name(self) -> str: ...

    @property
    def depends_on(self) -> tuple[str, ...]: ...

    @property
    def inputs(self) -> Sequence[_Input]: ...

    @property
    def outputs(self) -> Sequence[_Named]: ...


def dependencies(node: Node, siblings: Iterable[Node]) -> list[str]:
    """The siblings `node` waits for: its `dependsOn`, and the producers of its inputs."""
    siblings = list(siblings)
    names = {s.name for s in siblings}
    producers = {o.name: s.name for s in siblings for o in s.outputs}
    implied = [producers[i.source] for i in node.inputs if i.source in producers]
    return [d for d in dict.fromkeys((*node.depends_on, *implied)) if d in names and d != node.name]


def find_cycle(edges: Mapping[str, Set[str]]) -> list[str] | None:
    """A list of nodes forming a cycle (each depends on the next), or None. Deterministic."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(edges.get(node, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep) :]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in edges:
        if node not in state and (found := visit(node)):
            return found
    return None


def topological_order(edges: Mapping[str, Set[str]]) -> list[str]:
    """Nodes so that each comes after what it depends on; ties keep the mapping's order."""
    done: set[str] = set()
    order: list[str] = []

    def visit(node: str) -> None:
        if node in done:
            return
        done.add(node)
        for dep in sorted(edges.get(node, ())):
            visit(dep)
        order.append(node)

    for node in edges:
        visit(node)
    return order
