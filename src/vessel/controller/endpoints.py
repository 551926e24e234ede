"""Where a component can be reached, read from the live objects delivered with it, best first:

- an Ingress: `http(s)://host/path` per rule (https when its TLS section lists the host);
- a LoadBalancer Service with an address: `http(s)://address:port`;
- a NodePort Service: `<node-ip>:nodePort` (any node's address);
- any Service: `name.namespace.svc:port`, its in-cluster DNS name;
- a local target's own `status.endpoint` (`http://127.0.0.1:PORT`), which comes first.

A port named or numbered like HTTPS (443, 8443, `https`) gets `https://`; other ports `http://`,
except on in-cluster and node addresses, which name no protocol.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Obj = Mapping[str, Any]


def endpoints(objects: Iterable[Obj]) -> list[str]:
    """Every endpoint the objects offer, best first, without repeats."""
    ranked: list[tuple[int, str]] = []
    for obj in objects:
        kind = obj.get("kind")
        if kind == "Ingress":
            ranked += [(0, url) for url in _ingress(obj)]
        elif kind == "Service" and str(obj.get("apiVersion")) == "v1":
            ranked += _service(obj)
        own = (obj.get("status") or {}).get("endpoint")
        if isinstance(own, str) and own:
            ranked.append((-1, own))
    return list(dict.fromkeys(url for _, url in sorted(ranked, key=lambda r: r[0])))


def _ingress(ing: Obj) -> list[str]:
    spec = ing.get("spec") or {}
    secure = {host for tls in spec.get("tls") or [] for host in tls.get("hosts") or []}
    address = next(iter(_addresses(ing)), "")
    out = []
    for rule in spec.get("rules") or []:
        host = rule.get("host") or address
        if not host:
            continue
        scheme = "https" if host in secure else "http"
        paths = [p.get("path") or "/" for p in (rule.get("http") or {}).get("paths") or []] or ["/"]
        out += [f"{scheme}://{host}{path}" for path in paths]
    return out


def _service(svc: Obj) -> list[tuple[int, str]]:
    meta, spec = svc.get("metadata") or {}, svc.get("spec") or {}
    ports = [p for p in spec.get("ports") or [] if isinstance(p, Mapping)]
    out: list[tuple[int, str]] = []
    for address in _addresses(svc) if spec.get("type") == "LoadBalancer" else []:
        out += [(1, f"{_scheme(p)}://{address}:{p.get('port')}") for p in ports]
    if spec.get("type") in ("NodePort", "LoadBalancer"):
        out += [(2, f"<node-ip>:{p['nodePort']}") for p in ports if p.get("nodePort")]
    name, namespace = meta.get("name"), meta.get("namespace") or "default"
    out += [(3, f"{name}.{namespace}.svc:{p.get('port')}") for p in ports if name]
    return out


def _addresses(obj: Obj) -> list[str]:
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return [str(i.get("ip") or i.get("hostname")) for i in ingress if i.get("ip") or i.get("hostname")]


def _scheme(port: Obj) -> str:
    https = port.get("port") in (443, 8443) or "https" in str(port.get("name", "")).lower()
    return "https" if https else "http"
