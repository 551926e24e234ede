"""`override`: per-placement changes to components, as KubeVela's override policy makes them.

A patch entry selects components by `name` (a pattern, `*` matches anything) and/or `type`; with neither
it applies to every component. Properties deep-merge (maps merge, everything else replaces); traits
merge by type, `disable: true` removes one, unknown types are added. A named entry that matches nothing
adds a new component. `selector` then keeps only the listed components.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from vessel.model.application import Component, Trait
from vessel.model.frozen import freeze, thaw


def deep_merge(base: Any, patch: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(patch, Mapping):
        out = dict(base)
        for key, value in patch.items():
            out[key] = deep_merge(out[key], value) if key in out else value
        return out
    return patch


def apply_overrides(components: Sequence[Component], properties: Mapping[str, Any]) -> tuple[Component, ...]:
    """The components after one override policy's `components` patches and `selector`."""
    comps = {c.name: c for c in components}
    order = [c.name for c in components]
    for patch in properties.get("components", ()):
        name, kind = patch.get("name", ""), patch.get("type", "")
        if not name:
            for cname, comp in comps.items():
                if not kind or kind == comp.type:
                    comps[cname] = _merge(comp, patch)
            continue
        pattern = re.compile("^" + re.escape(name).replace(r"\*", ".*") + "$")
        matched = [cname for cname in comps if pattern.match(cname)]
        for cname in matched:
            comp = comps[cname]
            comps[cname] = _replace(cname, patch) if kind and kind != comp.type else _merge(comp, patch)
        if not matched and "*" not in name:
            comps[name] = _replace(name, patch)
            order.append(name)
    selector = properties.get("selector")
    if selector is not None:
        order = [n for n in order if n in set(selector)]
    return tuple(comps[n] for n in order)


def _merge(comp: Component, patch: Mapping[str, Any]) -> Component:
    props = deep_merge(thaw(comp.properties), thaw(patch.get("properties", {})))
    traits = {t.type: t for t in comp.traits}
    order = [t.type for t in comp.traits]
    for trait in patch.get("traits", ()):
        ttype = trait["type"]
        if trait.get("disable"):
            traits.pop(ttype, None)
        elif ttype in traits:
            old = traits[ttype]
            merged = deep_merge(thaw(old.properties), thaw(trait.get("properties", {})))
            traits[ttype] = Trait(ttype, freeze(merged), old.path)
        else:
            traits[ttype] = Trait(ttype, freeze(trait.get("properties", {})), comp.path)
            order.append(ttype)
    return replace(comp, properties=freeze(props), traits=tuple(traits[t] for t in order if t in traits))


def _replace(name: str, patch: Mapping[str, Any]) -> Component:
    traits = tuple(
        Trait(t["type"], freeze(t.get("properties", {})))
        for t in patch.get("traits", ())
        if not t.get("disable")
    )
    return Component(name, patch.get("type", ""), freeze(patch.get("properties", {})), traits)
