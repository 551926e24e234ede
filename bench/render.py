"""Render throughput: N applications x 3 components x 3 traits, against PyYAML's C dumper as the floor.

    .venv/bin/python bench/render.py [--apps 1000]

Prints components/second for rendering (parameters validated, templates run, traits patched, OAM
labels stamped) — in steady state, and with the template-skeleton cache cleared before every
application — and the time the C dumper alone takes to serialise the same manifests, so the ratio
render / serialise is visible. Target: a few times the floor.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from typing import Any

import yaml

from vessel.definitions import build_registry
from vessel.definitions.slots import plan
from vessel.model import Document, SourceMap, parse_application
from vessel.render import render_application, resources

DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def application(i: int) -> dict[str, Any]:
    def component(name: str, kind: str, port: int | None) -> dict[str, Any]:
        props: dict[str, Any] = {
            "image": f"registry.example.com/{name}:{i}",
            "cpu": "250m",
            "memory": "256Mi",
        }
        if port:
            props["ports"] = [{"port": port, "expose": True}]
        return {
            "name": name,
            "type": kind,
            "properties": props,
            "traits": [
                {"type": "scaler", "properties": {"replicas": 1 + i % 5}},
                {"type": "env", "properties": {"env": {"APP": f"app-{i}", "LOG_LEVEL": "info"}}},
                {"type": "labels", "properties": {"team": f"team-{i % 17}", "tier": name}},
            ],
        }

    return {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": f"app-{i}", "namespace": f"ns-{i % 50}"},
        "spec": {
            "components": [
                component("frontend", "webservice", 8080),
                component("backend", "webservice", 9090),
                component("jobs", "worker", None),
            ]
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="print the top functions by cumulative time")
    args = parser.parse_args()

    registry = build_registry(plugins=False)
    apps = [parse_application(Document(application(i), SourceMap(None))) for i in range(args.apps)]
    render_application(apps[0], registry)  # compile templates once, as a long-running process would

    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    start = time.perf_counter()
    rendered = [render_application(app, registry) for app in apps]
    render_s = time.perf_counter() - start
    if profiler:
        profiler.disable()

    start = time.perf_counter()
    for app in apps:
        plan.cache_clear()  # every render parses its template skeleton again
        render_application(app, registry)
    cold_s = time.perf_counter() - start

    bodies = [r.body for comps in rendered for r in resources(comps)]
    start = time.perf_counter()
    yaml.dump_all(bodies, Dumper=DUMPER, sort_keys=False)
    dump_s = time.perf_counter() - start

    components = args.apps * 3
    print(f"applications:        {args.apps}")
    print(f"components:          {components} ({len(bodies)} resources)")
    print(f"render:              {render_s:.3f} s  ({components / render_s:,.0f} components/s)")
    print(
        f"render, no cache:    {cold_s:.3f} s  ({components / cold_s:,.0f} components/s, skeleton cache off)"
    )
    print(f"C dumper floor:      {dump_s:.3f} s  (serialising the same {len(bodies)} resources)")
    print(f"render / floor:      {render_s / dump_s:.1f}x  (no cache: {cold_s / dump_s:.1f}x)")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
