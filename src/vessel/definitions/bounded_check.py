"""The bounded language: the loop-free Jinja subset whose cost is fixed by its text.

Expressions (`if`, `outputs[].valueFrom`, `healthPolicy`) and status messages (`customStatus`) are
evaluated for every step, every component and every reconcile pass, far too often to pay for a worker
process each time. They are written in a subset of Jinja in which evaluation is bounded *by
construction*:

* statements: text, `{{ }}`, `{% if %}`/`{% elif %}`/`{% else %}` and `{% set name = … %}` — no `for`,
  macros, `call`, `filter` blocks, includes or imports, so every operation runs at most once;
* expressions: literals, names, attribute and item access, slices, comparisons, `and`/`or`/`not`,
  conditional expressions, arithmetic and `~` — and calls only of `range`, `dict`, `fail` and a
  whitelist of string/dict/list methods; filters and tests only from a whitelist (`bounded_env.py`);
* size: at most `expression_nodes` operations once each `{% set %}` variable is counted as the
  expression it names, wherever it is used — so `{% set b = [a, a] %}{% set c = [b, b] %}…` cannot
  reach exponential size through sharing.

With the run-time size checks of `bounded_env.py`, an evaluation therefore takes time and memory
proportional to its text and its inputs, whatever it contains. This module decides membership: an
expression that is not in the language is rejected when its definition loads or its Application is
submitted, with the construct and its line; a definition *template* that is not in it is still
accepted, and runs in a template worker instead (`worker.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import nodes

from vessel.definitions.bounded_env import GLOBALS, METHOD_NAMES, STATUS_ENV

STATEMENT_TAGS: dict[type[nodes.Node], str] = {
    nodes.For: "for",
    nodes.Macro: "macro",
    nodes.CallBlock: "call",
    nodes.FilterBlock: "filter",
    nodes.With: "with",
    nodes.AssignBlock: "set … endset",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from … import",
    nodes.Extends: "extends",
    nodes.Block: "block",
    nodes.Scope: "scope",
    nodes.ScopedEvalContextModifier: "autoescape",
    nodes.EvalContextModifier: "autoescape",
    nodes.ExprStmt: "do",
    nodes.Break: "break",
    nodes.Continue: "continue",
}
EXPRESSIONS = (
    nodes.Const,
    nodes.TemplateData,
    nodes.Name,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Slice,
    nodes.Call,
    nodes.Filter,
    nodes.Test,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Neg,
    nodes.Pos,
    nodes.Compare,
    nodes.Operand,
    nodes.BinExpr,
    nodes.Concat,
    nodes.List,
    nodes.Tuple,
    nodes.Dict,
    nodes.Pair,
    nodes.Keyword,
)


class NotBounded(Exception):
    """A construct outside the bounded language; `lineno` is its line in the text (1-based)."""

    def __init__(self, message: str, lineno: int | None):
        super().__init__(message)
        self.lineno = lineno


MAX_DEPTH = 100  # Jinja compiles nesting to nested Python calls; Python's compiler stops at 200


@dataclass
class _Checker:
    max_nodes: int
    weights: dict[str, int]
    total: int = 0

    def statements(self, body: list[nodes.Node]) -> None:
        for node in body:
            self.statement(node)

    def statement(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                self.evaluated(child)
        elif isinstance(node, nodes.If):
            self.evaluated(node.test)
            elifs: list[list[nodes.Node]] = [[elif_] for elif_ in node.elif_]
            bodies: list[list[nodes.Node]] = [list(node.body), *elifs, list(node.else_)]
            self.branches(bodies)
        elif isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name):
            self.weights[node.target.name] = self.evaluated(node.node)
        elif isinstance(node, nodes.Assign):
            raise NotBounded("{% set %} may only assign one plain name here", node.lineno)
        else:
            tag = STATEMENT_TAGS.get(type(node), type(node).__name__.lower())
            raise NotBounded(
                f"{{% {tag} %}} is not allowed here: status rules and expressions have no "
                "loops, macros or includes",
                node.lineno,
            )

    def branches(self, bodies: list[list[nodes.Node]]) -> None:
        """Each branch from the same starting point; afterwards a name weighs its heaviest assignment."""
        start = dict(self.weights)
        merged = dict(start)
        for body in bodies:
            self.weights = dict(start)
            self.statements(body)
            for name, weight in self.weights.items():
                merged[name] = max(weight, merged.get(name, 0))
        self.weights = merged

    def evaluated(self, node: nodes.Node) -> int:
        weight = self.expression(node)
        self.total += weight
        if self.total > self.max_nodes:
            raise NotBounded(
                f"too large: more than {self.max_nodes} operations once {{% set %}} variables are "
                "expanded (the cap)",
                node.lineno,
            )
        return weight

    def expression(self, node: nodes.Node, depth: int = 0) -> int:
        if depth > MAX_DEPTH:
            raise NotBounded(f"nested more than {MAX_DEPTH} levels deep", node.lineno)
        if not isinstance(node, EXPRESSIONS):
            raise NotBounded(f"{type(node).__name__} is not allowed in an expression", node.lineno)
        if isinstance(node, nodes.Name):
            return self.weights.get(node.name, 1)
        if isinstance(node, nodes.Call):
            self.callee(node.node)
        elif isinstance(node, nodes.Filter) and node.name not in STATUS_ENV.filters:
            raise NotBounded(
                f"the filter {node.name!r} is not allowed here ({_allowed('filters')})", node.lineno
            )
        elif isinstance(node, nodes.Test) and node.name not in STATUS_ENV.tests:
            raise NotBounded(f"the test {node.name!r} is not allowed here", node.lineno)
        return 1 + sum(self.expression(child, depth + 1) for child in node.iter_child_nodes())

    def callee(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Getattr) and node.attr in METHOD_NAMES:
            return
        if isinstance(node, nodes.Name) and node.name in GLOBALS and node.name not in self.weights:
            return
        name = node.attr if isinstance(node, nodes.Getattr) else getattr(node, "name", "this")
        raise NotBounded(f"calling {name!r} is not allowed here ({_allowed('methods')})", node.lineno)


def _allowed(what: str) -> str:
    if what == "filters":
        return "allowed filters: " + ", ".join(sorted(STATUS_ENV.filters))
    return "allowed: range(), dict(), fail() and the methods " + ", ".join(sorted(METHOD_NAMES))


def check_template(template: nodes.Template, max_nodes: int) -> None:
    """Raise NotBounded unless `template` (statements) is in the bounded language."""
    _Checker(max_nodes, {}).statements(template.body)


def check_expression(expression: nodes.Expr, max_nodes: int) -> None:
    """Raise NotBounded unless `expression` is in the bounded language."""
    _Checker(max_nodes, {}).evaluated(expression)
