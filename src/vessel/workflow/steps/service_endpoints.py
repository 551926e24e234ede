"""`collect-service-endpoints`: where an application's services can be reached, as KubeVela reports them.

The endpoints are read from the live objects in the application's inventory (this one's, or another's
by `name`/`namespace`), in KubeVela's shape — `{endpoint: {protocol, appProtocol, host, port, portName,
path, inner}, ref, cluster, component}`:

- a ClusterIP (or ExternalName) Service: one inner endpoint per port, host `NAME.NAMESPACE`;
- a LoadBalancer Service: one per port and load-balancer address (hostname or IP);
- an Ingress: one per rule path, port 80, or 443 when its TLS section covers the host;
- a local target's process: `127.0.0.1` and the component's stable port (`status.endpoint`).

A NodePort Service is not reported: KubeVela picks a node's address, and Vessel does not read nodes
(the in-cluster name of the same Service is). The filters (`components`, `portName`, `port`, `outer`)
narrow the list; the step waits until at least one endpoint matches (as KubeVela's `ConditionalWait`),
saying what it waits for, and its outputs are `outputs.endpoints` and `value.url` (`protocal://host:port`
of the first, with KubeVela's spelling of the parameter).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from vessel.errors import NotFoundError
from vessel.store.records import InventoryEntry
from vessel.workflow.delivery import Delivery
from vessel.workflow.step_api import Outcome, StepContext, StepFunction

Obj = Mapping[str, Any]
POLL_SECONDS = 5.0
APP_PROTOCOLS = {80: "http", 8080: "http", 443: "https", 3306: "mysql", 6379: "redis"}  # KubeVela's guesses


def collect_service_endpoints(ctx: StepContext) -> Outcome:
    delivery: Delivery = ctx.services
    p = ctx.properties
    namespace, name = p.get("namespace") or ctx.app.namespace, p.get("name") or ctx.app.name
    found = [ep for ep in _collected(delivery, namespace, name, p.get("components")) if _matches(ep, p)]
    if not found:
        waiting = f"waiting for an endpoint of application {namespace}/{name}{_filters(p)}"
        return Outcome.wait(waiting, POLL_SECONDS)
    first = found[0]["endpoint"]
    url = f"{p['protocal']}://{first['host']}:{first['port']}"
    outputs = {"outputs": {"eps": found, "endpoints": found}, "value": {"endpoint": first, "url": url}}
    return Outcome.succeeded(outputs, message=f"{len(found)} endpoint(s); first: {url}")


def _collected(
    delivery: Delivery, namespace: str, name: str, components: list[str] | None
) -> Iterator[dict[str, Any]]:
    record = delivery.store.app(namespace, name)
    if record is None:
        raise NotFoundError(f"collect-service-endpoints: application {namespace}/{name} does not exist")
    for entry in delivery.store.inventory(record.id):
        if components is not None and entry.component not in components:
            continue
        local = delivery.targets.render_type(entry.target) == "local"
        if entry.key.kind in ("Service", "Ingress") or local:
            live = delivery.targets.get(entry.target).get(entry.key)
            if live is not None:
                yield from _endpoints(live, entry)


def _endpoints(obj: Obj, entry: InventoryEntry) -> Iterator[dict[str, Any]]:
    meta = obj.get("metadata") or {}
    ref = {
        "apiVersion": obj.get("apiVersion"),
        "kind": obj.get("kind"),
        "name": meta.get("name"),
        "namespace": meta.get("namespace") or entry.key.namespace,
    }
    for endpoint in _of(obj, str(ref["namespace"])):
        yield {"endpoint": endpoint, "ref": ref, "cluster": entry.target, "component": entry.component}


def _of(obj: Obj, namespace: str) -> Iterator[dict[str, Any]]:
    own = (obj.get("status") or {}).get("endpoint")
    if isinstance(own, str) and own:
        yield from _local(own)
    elif obj.get("kind") == "Service":
        yield from _service(obj, namespace)
    elif obj.get("kind") == "Ingress":
        yield from _ingress(obj)


def _local(url: str) -> Iterator[dict[str, Any]]:
    parts = urlsplit(url)
    if parts.hostname and parts.port:
        yield _endpoint(parts.hostname, parts.port, "", parts.scheme or "http", inner=False)


def _service(svc: Obj, namespace: str) -> Iterator[dict[str, Any]]:
    spec = svc.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    ports = [p for p in spec.get("ports") or [] if isinstance(p, Mapping) and isinstance(p.get("port"), int)]
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    for port in ports:
        app_protocol = APP_PROTOCOLS.get(port["port"], "")
        name, protocol = str(port.get("name") or ""), str(port.get("protocol") or "TCP")
        if kind == "LoadBalancer":
            for address in ingress:
                for host in (address.get("hostname"), address.get("ip")):
                    if host:
                        yield _endpoint(host, port["port"], name, app_protocol, False, protocol)
        elif kind in ("ClusterIP", "ExternalName"):
            host = f"{(svc.get('metadata') or {}).get('name')}.{namespace}"
            yield _endpoint(host, port["port"], name, app_protocol, True, protocol)


def _ingress(ing: Obj) -> Iterator[dict[str, Any]]:
    spec = ing.get("spec") or {}
    tls = [t for t in spec.get("tls") or [] if isinstance(t, Mapping)]
    for rule in spec.get("rules") or []:
        host = str(rule.get("host") or "")
        secure = any(not t.get("hosts") or host in t["hosts"] for t in tls)
        scheme, port = ("https", 443) if secure else ("http", 80)
        for path in (rule.get("http") or {}).get("paths") or []:
            yield {**_endpoint(host, port, "", scheme, inner=False), "path": str(path.get("path") or "")}


def _endpoint(
    host: str, port: int, port_name: str, app_protocol: str, inner: bool, protocol: str = "TCP"
) -> dict[str, Any]:
    return {
        "protocol": protocol,
        "appProtocol": app_protocol,
        "host": host,
        "port": port,
        "portName": port_name,
        "path": "",
        "inner": inner,
    }


def _matches(ep: Mapping[str, Any], p: Mapping[str, Any]) -> bool:
    endpoint = ep["endpoint"]
    if "portName" in p and endpoint["portName"] != p["portName"]:
        return False
    if "port" in p and endpoint["port"] != p["port"]:
        return False
    return not (p.get("outer") and endpoint["inner"])


def _filters(p: Mapping[str, Any]) -> str:
    said = [f"{k} {p[k]}" for k in ("components", "portName", "port") if k in p]
    said += ["outer only"] if p.get("outer") else []
    return f" ({', '.join(said)})" if said else ""


STEPS: dict[str, StepFunction] = {"collect-service-endpoints": collect_service_endpoints}
