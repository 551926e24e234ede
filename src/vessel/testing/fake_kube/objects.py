"""The fake cluster's object table: a dict by key that also indexes what the simulated controllers look
up on every write — an object's dependents (by owner uid) and the pod IPs in use — so a cluster that
holds tens of thousands of objects answers a write as fast as an empty one. (Scanning every object on
every write made a benchmark of 2,000 applications quadratic.)

Every change goes through `__setitem__` and `__delitem__`, which keep the indexes; the other mutating
dict methods are routed through them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

Obj = dict[str, Any]
Key = tuple[str, str, str, str]  # group, plural, namespace ("" when cluster-scoped), name
POD_IP = re.compile(r"10\.0\.(\d+)\.(\d+)")
_PODS = ("", "pods")


def owner_uids(obj: Obj) -> set[str]:
    refs = (obj.get("metadata") or {}).get("ownerReferences")
    return {str(r.get("uid")) for r in refs if isinstance(r, dict)} if isinstance(refs, list) else set()


def pod_ip(n: int) -> str:
    """The `n`th pod IP the fake hands out: 10.0.0.1, 10.0.0.2, … 10.0.0.254, 10.0.1.1, …"""
    return f"10.0.{n // 254}.{n % 254 + 1}"


class Objects(dict[Key, Obj]):
    def __init__(self) -> None:
        super().__init__()
        self._created: dict[Key, int] = {}  # creation order: dependents are listed oldest first
        self._count = 0
        self._owned: dict[str, set[Key]] = {}
        self._ips: Counter[str] = Counter()  # pod IPs in use
        self._free_from = 0  # no pod IP below pod_ip(_free_from) is free

    def __setitem__(self, key: Key, obj: Obj) -> None:
        old = self.get(key)
        if old is None:
            self._created[key] = self._count
            self._count += 1
        else:
            self._unindex(key, old)
        super().__setitem__(key, obj)
        self._index(key, obj)

    def __delitem__(self, key: Key) -> None:
        self._unindex(key, self[key])
        super().__delitem__(key)
        del self._created[key]

    def pop(self, key: Key, *default: Any) -> Any:
        if key not in self:
            return super().pop(key, *default)
        obj = self[key]
        del self[key]
        return obj

    def popitem(self) -> tuple[Key, Obj]:
        key = next(reversed(self))
        return key, self.pop(key)

    def clear(self) -> None:
        for key in list(self):
            del self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, obj in dict(*args, **kwargs).items():
            self[key] = obj

    def setdefault(self, key: Key, default: Obj | None = None) -> Obj:
        if key not in self:
            self[key] = default if default is not None else {}
        return self[key]

    def dependents(self, uid: str) -> list[Key]:
        """The keys of the objects whose ownerReferences name `uid`, oldest first."""
        return sorted(self._owned.get(uid, ()), key=self._created.__getitem__)

    def free_pod_ip(self) -> str:
        """The lowest pod IP no pod has."""
        n = self._free_from
        while pod_ip(n) in self._ips:
            n += 1
        self._free_from = n
        return pod_ip(n)

    def _index(self, key: Key, obj: Obj) -> None:
        for uid in owner_uids(obj):
            self._owned.setdefault(uid, set()).add(key)
        for ip in self._pod_ips(key, obj):
            self._ips[ip] += 1

    def _unindex(self, key: Key, obj: Obj) -> None:
        for uid in owner_uids(obj):
            keys = self._owned.get(uid)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._owned[uid]
        for ip in self._pod_ips(key, obj):
            self._ips[ip] -= 1
            if self._ips[ip] <= 0:
                del self._ips[ip]
                self._freed(ip)

    def _freed(self, ip: str) -> None:
        match = POD_IP.fullmatch(ip)
        if match is not None:
            a, b = int(match[1]), int(match[2])
            if 1 <= b <= 254:
                self._free_from = min(self._free_from, a * 254 + b - 1)

    @staticmethod
    def _pod_ips(key: Key, obj: Obj) -> Iterable[str]:
        if key[:2] != _PODS:
            return ()
        ip = (obj.get("status") or {}).get("podIP")
        return (ip,) if isinstance(ip, str) and ip else ()
