"""Resource policies: which rendered objects `apply-once`, `read-only`, `take-over`, `shared-resource`,
`resource-update` and `garbage-collect` select, and what each decides for them. Pure: delivery, steady
state and garbage collection ask, and do the side effects themselves.

A selector is KubeVela's resource selector: `componentNames`, `componentTypes`, `oamTypes`
(COMPONENT/TRAIT), `traitTypes`, `resourceTypes` (kinds) and `resourceNames`, read from the object's
OAM labels, kind and name. Every condition given must hold and at least one must be given: an empty
selector selects nothing. Within a policy type the first matching rule wins; several policies of one
type are read in the order the application lists them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vessel.errors import ValidationError
from vessel.model.application import Policy
from vessel.model.frozen import thaw

COMPONENT_LABEL = "app.oam.dev/component"
WORKLOAD_TYPE_LABEL = "workload.oam.dev/type"
RESOURCE_TYPE_LABEL = "app.oam.dev/resourceType"
TRAIT_TYPE_LABEL = "trait.oam.dev/type"

# apply-once stages: when a rule's drift-keeping paths apply (`affect`; empty or `always` = both)
ON_UPDATE = "onUpdate"  # a deploy applies the rendered object
ON_STATE_KEEP = "onStateKeep"  # the steady-state loop corrects drift

# garbage-collect strategies
ON_APP_UPDATE = "onAppUpdate"  # deleted once a revision no longer renders it (the default)
ON_APP_DELETE = "onAppDelete"  # kept while the application lives; deleted with it
NEVER = "never"  # never deleted by Vessel, not even with the application

DEFAULT_REVISION_LIMIT = 10  # revisions kept for rollback beside those in use (KubeVela's default)

WHOLE_OBJECT = "*"  # an apply-once path that keeps the whole live object


@dataclass(frozen=True)
class Selector:
    component_names: tuple[str, ...] = ()
    component_types: tuple[str, ...] = ()
    oam_types: tuple[str, ...] = ()
    trait_types: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None) -> Selector:
        raw = raw or {}

        def names(field: str) -> tuple[str, ...]:
            return tuple(str(v) for v in raw.get(field) or ())

        return cls(
            names("componentNames"),
            names("componentTypes"),
            names("oamTypes"),
            names("traitTypes"),
            names("resourceTypes"),
            names("resourceNames"),
        )

    def matches(self, manifest: Mapping[str, Any]) -> bool:
        meta = manifest.get("metadata") or {}
        labels = meta.get("labels") or {}
        conditions = (
            (self.component_names, labels.get(COMPONENT_LABEL, "")),
            (self.component_types, labels.get(WORKLOAD_TYPE_LABEL, "")),
            (self.oam_types, labels.get(RESOURCE_TYPE_LABEL, "")),
            (self.trait_types, labels.get(TRAIT_TYPE_LABEL, "")),
            (self.resource_types, manifest.get("kind", "")),
            (self.resource_names, meta.get("name", "")),
        )
        given = [(wanted, str(value or "")) for wanted, value in conditions if wanted]
        return bool(given) and all(value and value in wanted for wanted, value in given)


@dataclass(frozen=True)
class _Rule:
    policy: str  # the policy's name, for messages
    selector: Selector
    value: Any = (
        None  # apply-once: (paths, affect); resource-update: recreate fields; garbage-collect: strategy
    )


def _rules(policies: Iterable[Policy], type_: str) -> list[_Rule]:
    found = []
    for policy in policies:
        if policy.type != type_:
            continue
        for rule in policy.properties.get("rules") or ():
            if type_ == "apply-once":
                strategy = rule.get("strategy") or {}
                value: Any = (tuple(strategy.get("path") or ()), str(strategy.get("affect") or ""))
            elif type_ == "resource-update":
                value = tuple(str(f) for f in (rule.get("strategy") or {}).get("recreateFields") or ())
            else:
                value = str(rule.get("strategy") or ON_APP_UPDATE)
            found.append(_Rule(policy.name, Selector.parse(rule.get("selector")), value))
    return found


class ResourcePolicies:
    """The resource policies of one application revision, ready to be asked about single objects."""

    def __init__(self, policies: Sequence[Policy]):
        apply_once = [p for p in policies if p.type == "apply-once" and p.properties.get("enable")]
        self._apply_once = _rules(apply_once, "apply-once")
        # `enable: true` without rules: the whole application is applied once (KubeVela's meta-only mode)
        self.apply_once_all = any(not p.properties.get("rules") for p in apply_once)
        self._read_only = _rules(policies, "read-only")
        self._take_over = _rules(policies, "take-over")
        self._shared = _rules(policies, "shared-resource")
        self._update = _rules(policies, "resource-update")
        self._gc = _rules(policies, "garbage-collect")
        gc = [p.properties for p in policies if p.type == "garbage-collect"]
        self.keep_legacy = any(p.get("keepLegacyResource") for p in gc)
        self.continue_on_failure = any(p.get("continueOnFailure") for p in gc)
        limits = [p["applicationRevisionLimit"] for p in gc if p.get("applicationRevisionLimit") is not None]
        self.revision_limit = int(limits[0]) if limits else DEFAULT_REVISION_LIMIT

    def apply_once_paths(self, manifest: Mapping[str, Any], stage: str) -> tuple[str, ...] | None:
        """The field paths whose live values are kept when applying `manifest` at `stage` (a deploy or
        the steady-state loop), or None when no apply-once rule selects it for that stage."""
        rule = _first(self._apply_once, manifest)
        if rule is None:
            return None
        paths, affect = rule.value
        return paths if affect in ("", "always", stage) else None

    def read_only(self, manifest: Mapping[str, Any]) -> str | None:
        """The name of the read-only policy selecting `manifest`, or None."""
        rule = _first(self._read_only, manifest)
        return rule.policy if rule else None

    def take_over(self, manifest: Mapping[str, Any]) -> bool:
        return _first(self._take_over, manifest) is not None

    def shared(self, manifest: Mapping[str, Any]) -> bool:
        return _first(self._shared, manifest) is not None

    def recreate_fields(self, manifest: Mapping[str, Any]) -> tuple[str, ...]:
        """The field paths whose change makes an update of `manifest` a delete and re-create
        (`resource-update`'s recreateFields), or () when no rule selects it."""
        rule = _first(self._update, manifest)
        return tuple(rule.value) if rule else ()

    def gc_strategy(self, manifest: Mapping[str, Any]) -> str:
        rule = _first(self._gc, manifest)
        return str(rule.value) if rule else ON_APP_UPDATE


def _first(rules: Sequence[_Rule], manifest: Mapping[str, Any]) -> _Rule | None:
    return next((r for r in rules if r.selector.matches(manifest)), None)


def needs_recreate(live: Mapping[str, Any], manifest: Mapping[str, Any], paths: Iterable[str]) -> list[str]:
    """The paths among `paths` whose value in `manifest` differs from the live object's (a path one side
    lacks differs from one the other has): what makes KubeVela delete and re-create the object."""
    return [path for path in paths if _value_at(live, path) != _value_at(manifest, path)]


def _value_at(node: Any, path: str) -> Any:
    for seg in parse_path(path, "resource-update"):
        node = _child(node, seg)
        if node is _MISSING:
            return _MISSING
    return node


# --- apply-once: keeping live values --------------------------------------------------------------

_SEGMENT = re.compile(r"""([^.\[\]]+)|\[(\d+)\]|\[['"]?([^\]'"]+)['"]?\]""")


def parse_path(path: str, policy: str = "apply-once") -> list[str | int]:
    """`spec.template.spec.containers[0].resources` or `metadata.labels['app.kubernetes.io/name']`
    as map keys and list indexes (KubeVela's field path syntax)."""
    segments: list[str | int] = []
    pos = 0
    while pos < len(path):
        if path[pos] == "." and segments:
            pos += 1
        found = _SEGMENT.match(path, pos)
        if found is None:
            raise ValidationError(
                f"{policy}: cannot read the field path {path!r} at {path[pos:]!r}",
                hint="write paths like spec.replicas or spec.template.spec.containers[0].resources",
            )
        name, index, quoted = found.groups()
        segments.append(int(index) if index is not None else (name or quoted))
        pos = found.end()
    return segments


def keep_live_fields(
    manifest: Mapping[str, Any], live: Mapping[str, Any], paths: Iterable[str]
) -> dict[str, Any]:
    """`manifest` with the values at `paths` taken from `live` (a new object). A path the live object
    does not have keeps the manifest's value; so does a list index the manifest has no element for."""
    out: dict[str, Any] = thaw(manifest)
    for path in paths:
        segments = parse_path(path)
        value: Any = live
        for seg in segments:
            value = _child(value, seg)
        if segments and value is not _MISSING:
            _put(out, segments, copy.deepcopy(value))
    return out


def _put(node: Any, segments: list[str | int], value: Any) -> None:
    *head, last = segments
    for i, seg in enumerate(head):
        child = _child(node, seg)
        if not isinstance(child, (dict, list)):
            if not isinstance(node, dict) or any(isinstance(s, int) for s in segments[i + 1 :]):
                return  # it would take a list element the manifest does not have: leave it as it is
            child = node[seg] = {}
        node = child
    if isinstance(last, int):
        if isinstance(node, list) and last < len(node):
            node[last] = value
    elif isinstance(node, dict):
        node[last] = value


_MISSING = object()


def _child(node: Any, seg: str | int) -> Any:
    if isinstance(seg, int):
        return node[seg] if isinstance(node, list | tuple) and seg < len(node) else _MISSING
    return node.get(seg, _MISSING) if isinstance(node, Mapping) else _MISSING


__all__ = [
    "DEFAULT_REVISION_LIMIT",
    "NEVER",
    "ON_APP_DELETE",
    "ON_APP_UPDATE",
    "ON_STATE_KEEP",
    "ON_UPDATE",
    "WHOLE_OBJECT",
    "ResourcePolicies",
    "Selector",
    "keep_live_fields",
    "needs_recreate",
    "parse_path",
]
