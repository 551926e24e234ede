"""Render throughput: N applications x 3 components x 3 traits, against PyYAML's C dumper as the floor.

    .venv/bin/python bench/render.py [--apps 1000] [--repeat 3]

Everything is measured in CPU seconds (this process plus its template workers), not wall-clock time,
so other load on the machine does not move the figures much. Prints, best of `--repeat` runs:

* render: parameters validated, templates run, traits patched, OAM labels stamped — in steady state, and
  with the template-skeleton cache cleared before every application;
* the C dumper floor: what PyYAML's C dumper alone takes to serialise the same manifests, and the ratio
  render / floor;
* status: µs per healthPolicy + customStatus evaluation of a built-in definition (webservice, and
  gateway's `selectattr` rules) against a live object;
* the template worker: its spawn cost, and the engine process's RSS before and after a memory bomb is
  rendered (it must stay flat: the bomb is contained in the worker).

It checks that what it timed succeeded (every application rendered its resources, every status was
judged as expected, the bomb failed with the cap) and ends with one JSON line of its figures.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import sys
from collections.abc import Callable
from typing import Any

import yaml

from vessel.definitions import build_registry
from vessel.definitions.definition import Kind
from vessel.definitions.slots import SKELETONS
from vessel.model import Document, SourceMap, parse_application
from vessel.render import evaluate_status, render_application, resources

DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
RESOURCES_PER_APP = 5  # 3 workloads and 2 Services (the exposed ports of the two webservices)
KINDS_PER_APP = ["Deployment", "Deployment", "Deployment", "Service", "Service"]


class BenchFailed(Exception):
    """What the benchmark timed did not do its work: its figures would mean nothing."""


def check(ok: bool, problem: str) -> None:
    """Fail the benchmark, saying what went wrong (an `assert` would vanish under `python -O`)."""
    if not ok:
        raise BenchFailed(problem)


def check_rendered(i: int, rendered: tuple[Any, ...]) -> None:
    """Application `i` rendered its 5 objects, with its traits applied (replicas, env, labels)."""
    bodies = [r.body for r in resources(rendered)]
    kinds = sorted(str(b.get("kind")) for b in bodies)
    check(kinds == KINDS_PER_APP, f"app-{i} rendered {kinds}, expected {KINDS_PER_APP}")
    for body in bodies:
        if body["kind"] != "Deployment":
            continue
        spec = body["spec"]
        container = spec["template"]["spec"]["containers"][0]
        env = {e["name"]: e.get("value") for e in container.get("env") or []}
        labels = body["metadata"].get("labels") or {}
        check(
            spec.get("replicas") == 1 + i % 5
            and env.get("APP") == f"app-{i}"
            and labels.get("team") == f"team-{i % 17}",
            f"app-{i}: {body['metadata']['name']} lacks a trait's effect (replicas {spec.get('replicas')}, "
            f"env {env}, labels {labels})",
        )


def check_all(rendered: list[tuple[Any, ...]], apps: int, what: str) -> None:
    check(len(rendered) == apps, f"{what}: {len(rendered)} of {apps} applications rendered")
    for i, comps in enumerate(rendered):
        check_rendered(i, comps)


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


def cpu_now() -> float:
    """CPU seconds of this process, of its finished children, and of its live template workers."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + done.ru_utime + done.ru_stime + worker_cpu()


def worker_cpu() -> float:
    try:
        from vessel.definitions.worker_pool import POOL
    except ImportError:  # before the template worker existed: renders ran in this process
        return 0.0
    return POOL.cpu_seconds()


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """The least CPU time of `repeat` runs of `work`, and the last run's result."""
    times, result = [], None
    for _ in range(repeat):
        start = cpu_now()
        result = work()
        times.append(cpu_now() - start)
    return min(times), result


def render_figures(apps: list[Any], registry: Any, repeat: int) -> dict[str, float]:
    render_s, rendered = best_of(repeat, lambda: [render_application(app, registry) for app in apps])
    check_all(rendered, len(apps), "render")
    bodies = [r.body for comps in rendered for r in resources(comps)]

    def cold() -> list[tuple[Any, ...]]:
        out = []
        for app in apps:
            SKELETONS.clear()  # every render parses its template skeleton again
            out.append(render_application(app, registry))
        return out

    cold_s, cold_rendered = best_of(repeat, cold)
    check_all(cold_rendered, len(apps), "render, no cache")
    dump_s, text = best_of(repeat, lambda: yaml.dump_all(bodies, Dumper=DUMPER, sort_keys=False))
    dumped = sum(1 for doc in yaml.safe_load_all(text) if doc)
    check(dumped == len(bodies), f"the C dumper wrote {dumped} of {len(bodies)} documents")
    components = len(apps) * 3
    return {
        "apps": len(apps),
        "components": components,
        "resources": len(bodies),
        "render_cpu_s": render_s,
        "components_per_cpu_s": components / render_s,
        "render_no_cache_cpu_s": cold_s,
        "floor_cpu_s": dump_s,
        "render_over_floor": render_s / dump_s,
        "no_cache_over_floor": cold_s / dump_s,
    }


LIVE_DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "frontend", "generation": 3, "annotations": {}},
    "spec": {"replicas": 2},
    "status": {"readyReplicas": 2, "updatedReplicas": 2, "replicas": 2, "observedGeneration": 3},
}
LIVE_INGRESS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {"name": "frontend"},
    "spec": {"rules": [{"host": "shop.example.com"}]},
    "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.9"}]}},
}


def status_figures(registry: Any, evaluations: int, repeat: int) -> dict[str, float]:
    webservice = registry.get(Kind.COMPONENT, "webservice")
    gateway = registry.get(Kind.TRAIT, "gateway")
    checks = [
        (webservice, LIVE_DEPLOYMENT, {}, "Ready:2/2"),
        (gateway, LIVE_DEPLOYMENT, {"ingress": LIVE_INGRESS}, "Visiting URL: shop.example.com, IP: 10.0.0.9"),
    ]
    figures: dict[str, float] = {}
    context = {"name": "frontend", "appName": "shop"}
    for definition, live, outputs, message in checks:

        def judge(d: Any = definition, lv: Any = live, outs: Any = outputs) -> Any:
            for _ in range(evaluations):
                status = evaluate_status(d, lv, outs, {}, context)
            return status

        seconds, status = best_of(repeat, judge)
        check(status.healthy and status.message == message, f"{definition.name} status: {status}")
        figures[f"status_{definition.name}_us"] = seconds / evaluations * 1e6
    return figures


def worker_figures() -> dict[str, float]:
    """The template worker's spawn cost, and this process's RSS around a contained memory bomb."""
    try:
        from vessel.definitions.worker_pool import POOL, measure_spawn
    except ImportError:
        return {}
    from vessel.definitions import JinjaTemplate, RenderLimits
    from vessel.errors import Location, RenderError

    spawn_s = measure_spawn()
    rss_before = _rss_mib()
    # a gigabyte string no guard sees coming: only the worker's memory limit stops it
    source = "{% for _ in [1] %}x: {{ '{:>1000000000}'.format(1) | length }}{% endfor %}"
    bomb = JinjaTemplate(source, "bomb", Location("bomb.yaml", 1))
    try:
        bomb.render({"parameter": {}, "context": {}}, RenderLimits())
    except RenderError as exc:
        check("of memory (the cap)" in str(exc), f"the memory bomb failed otherwise than at its cap: {exc}")
    else:
        raise BenchFailed("the memory bomb rendered")
    check(
        _rss_mib() < rss_before + 64, f"RSS grew from {rss_before:.0f} to {_rss_mib():.0f} MiB with the bomb"
    )
    return {
        "worker_spawn_cpu_s": spawn_s,
        "rss_before_bomb_mib": rss_before,
        "rss_after_bomb_mib": _rss_mib(),
        "workers_started": float(POOL.started),
    }


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> int:
    try:
        figures, profiler = measure()
    except BenchFailed as failed:
        print(f"bench/render.py FAILED: {failed}", file=sys.stderr)
        return 1
    report(figures, profiler)
    return 0


def measure() -> tuple[dict[str, float], cProfile.Profile | None]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the least CPU time counts")
    parser.add_argument("--evaluations", type=int, default=10_000, help="status evaluations per run")
    parser.add_argument("--profile", action="store_true", help="print the top functions by cumulative time")
    args = parser.parse_args()

    registry = build_registry(plugins=False)
    apps = [parse_application(Document(application(i), SourceMap(None))) for i in range(args.apps)]
    render_application(apps[0], registry)  # compile templates once, as a long-running process would

    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    figures = render_figures(apps, registry, args.repeat)
    if profiler:
        profiler.disable()
    figures |= status_figures(registry, args.evaluations, args.repeat)
    figures |= worker_figures()
    figures["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures, profiler


def report(figures: dict[str, float], profiler: cProfile.Profile | None) -> None:
    print(f"applications:        {figures['apps']:.0f}")
    print(f"components:          {figures['components']:.0f} ({figures['resources']:.0f} resources)")
    print(
        f"render:              {figures['render_cpu_s']:.3f} CPU s  "
        f"({figures['components_per_cpu_s']:,.0f} components per CPU s)"
    )
    print(f"render, no cache:    {figures['render_no_cache_cpu_s']:.3f} CPU s  (skeleton cache off)")
    print(f"C dumper floor:      {figures['floor_cpu_s']:.3f} CPU s  (serialising the same resources)")
    print(
        f"render / floor:      {figures['render_over_floor']:.1f}x  "
        f"(no cache: {figures['no_cache_over_floor']:.1f}x)"
    )
    for key, value in figures.items():
        if key.startswith("status_"):
            name = key.removeprefix("status_").removesuffix("_us") + " status:"
            print(f"{name:<21}{value:.1f} µs per evaluation")
    if "worker_spawn_cpu_s" in figures:
        print(f"worker spawn:        {figures['worker_spawn_cpu_s'] * 1000:.0f} CPU ms")
        before, after = figures["rss_before_bomb_mib"], figures["rss_after_bomb_mib"]
        print(f"RSS around a bomb:   {before:.1f} -> {after:.1f} MiB")
    print(f"peak RSS:            {figures['peak_rss_mib']:.0f} MiB")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    print(json.dumps({k: round(v, 6) for k, v in figures.items()}, sort_keys=True))


if __name__ == "__main__":
    sys.exit(main())
