"""The fake cluster's state and the API semantics of each write: resourceVersion, generation, defaults,
status, managed fields, server-side apply, garbage collection and pod logs. Thread-safe: every operation
holds one lock, and the simulated controllers (`workloads`) run under it before a write is answered."""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jsonpatch

from vessel.testing.fake_kube import fields, workloads
from vessel.testing.fake_kube.errors import KubeError, not_found
from vessel.testing.fake_kube.kinds import BUILTIN, ResourceType, canonical_quantities, from_crd, set_defaults
from vessel.testing.fake_kube.logs import LogLine, LogQuery
from vessel.testing.fake_kube.objects import Objects
from vessel.testing.fake_kube.selectors import field_matcher, label_matcher

Obj = dict[str, Any]
Key = tuple[str, str, str, str]  # group, plural, namespace ("" when cluster-scoped), name
Ident = tuple[str, str, str]  # manager, operation, subresource
CRD_PLURAL = "customresourcedefinitions"
LOG_WAIT = 0.1  # seconds a followed log waits for new lines before answering an empty batch


def _entries(obj: Obj | None) -> dict[Ident, set[fields.Path]]:
    out: dict[Ident, set[fields.Path]] = {}
    for e in ((obj or {}).get("metadata") or {}).get("managedFields") or []:
        ident = (str(e.get("manager", "")), str(e.get("operation", "")), str(e.get("subresource", "")))
        out[ident] = fields.from_fields_v1(e.get("fieldsV1") or {})
    return out


def _spec(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata", "status")}


def _comparable(obj: Obj) -> Obj:
    """`obj` without what every write changes anyway: its resourceVersion and managed-field times."""
    md = {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}
    md["managedFields"] = [{k: v for k, v in e.items() if k != "time"} for e in md.get("managedFields") or []]
    return {**obj, "metadata": md}


def _container_names(pod: Obj, field: str) -> list[str]:
    return [str(c.get("name")) for c in (pod.get("spec") or {}).get(field) or [] if isinstance(c, dict)]


class Cluster:
    """Objects by (group, plural, namespace, name); resource types by (group, version, plural); pod logs
    by (namespace, pod, container). `controller` switches the simulated controllers on and off."""

    def __init__(self, kubelet_version: str = "v1.31.0") -> None:
        self.lock = threading.RLock()
        self.resource_version = 0
        self.controller = True
        self.types: dict[tuple[str, str, str], ResourceType] = {}
        self.objects = Objects()
        self.logs: dict[tuple[str, str, str], list[LogLine]] = {}
        self.log_written = threading.Condition(self.lock)  # notified by write_log and pod deletions
        self.logs_followed = True  # False once the server stops: followed logs end
        self.log_followers = 0  # followed logs being streamed right now
        for rt in BUILTIN:
            self.types[(rt.group, rt.version, rt.plural)] = rt
        ns_type = self.types[("", "v1", "namespaces")]
        for ns in ("default", "kube-system", "kube-public"):
            self.create(ns_type, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        workloads.add_node(self, kubelet_version)

    # -- reads -------------------------------------------------------------------------------------

    def find_type(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self.types.get((group, version, plural))

    def type_by_plural(self, plural: str) -> ResourceType:
        for rt in self.types.values():
            if rt.plural == plural:
                return rt
        raise KeyError(plural)

    def _out(self, rt: ResourceType, obj: Obj) -> Obj:
        out = copy.deepcopy(obj)
        out["apiVersion"], out["kind"] = rt.api_version, rt.kind
        return out

    def _live(self, rt: ResourceType, ns: str, name: str) -> Obj:
        obj = self.objects.get((rt.group, rt.plural, ns, name))
        if obj is None:
            raise not_found(rt.group_resource, name, rt.group, rt.plural)
        return obj

    def get(self, rt: ResourceType, ns: str, name: str) -> Obj:
        with self.lock:
            return self._out(rt, self._live(rt, ns, name))

    def stored(self, rt: ResourceType, ns: str, name: str) -> Obj:
        """The object in the apiVersion it was written in (`get` answers in `rt`'s)."""
        with self.lock:
            return copy.deepcopy(self._live(rt, ns, name))

    def list_objects(
        self, rt: ResourceType, ns: str | None, labels: str | None = None, flds: str | None = None
    ) -> Obj:
        lmatch, fmatch = label_matcher(labels), field_matcher(flds)
        with self.lock:
            items = [
                self._out(rt, o)
                for (g, p, n, _), o in sorted(self.objects.items())
                if g == rt.group and p == rt.plural and (ns is None or n == ns) and lmatch(o) and fmatch(o)
            ]
            return {
                "kind": rt.kind + "List",
                "apiVersion": rt.api_version,
                "metadata": {"resourceVersion": str(self.resource_version)},
                "items": items,
            }

    # -- writes ------------------------------------------------------------------------------------

    def _check_body(self, rt: ResourceType, ns: str, body: Any, name: str | None) -> Obj:
        if not isinstance(body, dict):
            raise KubeError(400, "BadRequest", "the body of the request was not a JSON object")
        md = body.get("metadata")
        obj_name = md.get("name") if isinstance(md, dict) else None
        causes = [
            {"reason": "FieldValueRequired", "message": "Required value", "field": f}
            for f, ok in (
                ("apiVersion", body.get("apiVersion")),
                ("kind", body.get("kind")),
                ("metadata.name", obj_name),
            )
            if not ok
        ]
        if causes:
            shown = obj_name or name or ""
            message = f'{rt.kind}.{rt.group or "core"} "{shown}" is invalid: ' + ", ".join(
                f"{c['field']}: Required value" for c in causes
            )
            details = {"name": shown, "group": rt.group, "kind": rt.kind, "causes": causes}
            raise KubeError(422, "Invalid", message, details)
        if body["kind"] != rt.kind or body["apiVersion"].split("/")[0] not in (
            rt.group or "v1",
            rt.api_version,
        ):
            raise KubeError(
                400,
                "BadRequest",
                f"the API version in the data ({body['apiVersion']}) does not match the expected "
                f"API version ({rt.api_version}) or the kind ({body['kind']}) is not {rt.kind}",
            )
        if name is not None and obj_name != name:
            raise KubeError(400, "BadRequest", "the name of the object does not match the name on the URL")
        if rt.namespaced and isinstance(md, dict) and md.get("namespace", ns) != ns:
            raise KubeError(
                400,
                "BadRequest",
                "the namespace of the provided object does not match the namespace sent on the request",
            )
        obj = copy.deepcopy(body)
        canonical_quantities(rt, obj)  # stored as a real API server stores them
        return obj

    def _require_namespace(self, rt: ResourceType, ns: str) -> None:
        if rt.namespaced and ("", "namespaces", "", ns) not in self.objects:
            raise KubeError(
                404, "NotFound", f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"}
            )

    def _commit(self, rt: ResourceType, ns: str, new: Obj, old: Obj | None, sub: str) -> Obj:
        """Store `new` in place of `old` and return the stored object; a write that changes nothing
        (apart from managed-field times) is skipped, as Kubernetes does, keeping the resourceVersion."""
        md = new.setdefault("metadata", {})
        if rt.namespaced:
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
        if old is None:
            md.update(uid=str(uuid.uuid4()), creationTimestamp=workloads.now())
            if rt.status:
                new.pop("status", None)
        else:
            old_md = old["metadata"]
            for k in ("uid", "creationTimestamp", "name"):
                md[k] = old_md[k]
            if rt.status and sub != "status":
                new.pop("status", None)
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
        set_defaults(rt, new)
        md["generation"] = 1 if old is None else old["metadata"]["generation"] + (_spec(new) != _spec(old))
        for k in ("selfLink", "deletionTimestamp"):
            md.pop(k, None)
        if rt.plural == "namespaces" and old is None:
            new["status"] = {"phase": "Active"}
        if rt.plural == CRD_PLURAL:
            self._register_crd(new, old)
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        if old is not None and _comparable(new) == _comparable(old):
            return old
        self.resource_version += 1
        md["resourceVersion"] = str(self.resource_version)
        self.objects[(rt.group, rt.plural, ns, md["name"])] = new
        return new

    def _settle(self, rt: ResourceType, ns: str, name: str, sub: str) -> Obj:
        """Let the controllers react to an API write, then answer with the object as they left it."""
        workloads.on_write(self, rt, ns, name, sub)
        return self._out(rt, self._live(rt, ns, name))

    def store(self, rt: ResourceType, ns: str, obj: Obj, manager: str | None, sub: str = "") -> Obj:
        """A controller's write (an Update by `manager`, or by no manager if None): no validation, no
        controllers run. Returns the stored object, which callers must not change."""
        new = copy.deepcopy(obj)
        old = self.objects.get((rt.group, rt.plural, ns, new["metadata"]["name"]))
        self._record_update(rt, old, new, manager, sub)
        return self._commit(rt, ns, new, old, sub)

    def dependents(self, uid: str) -> list[tuple[Key, Obj]]:
        """The objects whose ownerReferences name `uid`, oldest first."""
        return [(k, self.objects[k]) for k in self.objects.dependents(uid)]

    def remove(self, key: Key) -> Obj:
        """Delete one object and, as the garbage collector would (background propagation, at once),
        everything it owns, transitively. No controllers run. Returns the deleted object."""
        live: Obj = self.objects.pop(key)
        self.resource_version += 1
        group, plural, ns, name = key
        if (group, plural) == ("", "namespaces"):
            for k in [k for k in self.objects if k[2] == name]:
                del self.objects[k]
            self.logs = {k: v for k, v in self.logs.items() if k[0] != name}
        if (group, plural) == ("", "pods"):
            self.logs = {k: v for k, v in self.logs.items() if k[:2] != (ns, name)}
            with self.lock:
                self.log_written.notify_all()  # its followed logs end
        if plural == CRD_PLURAL:
            self._unregister_crd(live)
        for k, _ in self.dependents(live["metadata"]["uid"]):
            if k in self.objects:
                self.remove(k)
        return live

    def _write_entries(self, rt: ResourceType, obj: Obj, entries: dict[Ident, set[fields.Path]]) -> None:
        view = {**fields.owned_view(obj), **fields.owned_view(obj, "status")}
        before = {
            (e.get("manager"), e.get("operation"), e.get("subresource", "")): e
            for e in obj.get("metadata", {}).get("managedFields") or []
        }
        out = []
        for (manager, operation, sub), owned in entries.items():
            owned = {p for p in owned if fields.get(view, p) is not fields.MISSING}
            if not owned:
                continue
            entry: Obj = {
                "manager": manager,
                "operation": operation,
                "apiVersion": rt.api_version,
                "time": workloads.now(),
            }
            entry.update(fieldsType="FieldsV1", fieldsV1=fields.to_fields_v1(frozenset(owned)))
            prior = before.get((manager, operation, sub))
            if prior is not None and prior.get("fieldsV1") == entry["fieldsV1"]:
                entry["time"] = prior.get("time", entry["time"])  # untouched entries keep their time
            if sub:
                entry["subresource"] = sub
            out.append(entry)
        obj["metadata"]["managedFields"] = out

    def _record_update(
        self, rt: ResourceType, old: Obj | None, new: Obj, manager: str | None, sub: str
    ) -> None:
        """A non-apply write: its manager takes (operation Update) every field whose value it changed;
        with no manager, those fields just leave their previous managers."""
        old_view, new_view = fields.owned_view(old or {}, sub), fields.owned_view(new, sub)
        changed = set()
        for p in fields.paths(new_view, rt.keyed_lists):
            before, after = fields.get(old_view, p), fields.get(new_view, p)
            if before is fields.MISSING or (not isinstance(after, dict) and before != after):
                changed.add(p)
        entries = _entries(old)
        for owned in entries.values():
            owned -= changed
        if manager is not None:
            entries.setdefault((manager, "Update", sub), set()).update(changed)
        self._write_entries(rt, new, entries)

    def create(self, rt: ResourceType, ns: str, body: Any, manager: str = "unknown") -> Obj:
        with self.lock:
            if isinstance(body, dict) and not (body.get("metadata") or {}).get("name"):
                gen = (body.get("metadata") or {}).get("generateName")
                if gen:
                    body["metadata"]["name"] = gen + uuid.uuid4().hex[:5]
            obj = self._check_body(rt, ns, body, None)
            self._require_namespace(rt, ns)
            name = obj["metadata"]["name"]
            if (rt.group, rt.plural, ns, name) in self.objects:
                details = {"name": name, "group": rt.group, "kind": rt.plural}
                raise KubeError(409, "AlreadyExists", f'{rt.group_resource} "{name}" already exists', details)
            if rt.plural == CRD_PLURAL:
                self._check_crd(obj)
            for k in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"):
                obj["metadata"].pop(k, None)
            self._record_update(rt, None, obj, manager, "")
            self._commit(rt, ns, obj, None, "")
            return self._settle(rt, ns, name, "")

    def replace(
        self, rt: ResourceType, ns: str, name: str, body: Any, sub: str = "", manager: str = "unknown"
    ) -> Obj:
        with self.lock:
            obj = self._check_body(rt, ns, body, name)
            live = self._live(rt, ns, name)
            self._check_version(rt, name, obj["metadata"].get("resourceVersion"), live)
            if sub == "status":
                new = copy.deepcopy(live)
                new["status"] = obj.get("status", {})
            else:
                new = obj
                new["metadata"]["managedFields"] = live["metadata"].get("managedFields", [])
            self._record_update(rt, live, new, manager, sub)
            self._commit(rt, ns, new, live, sub)
            return self._settle(rt, ns, name, sub)

    def _check_version(self, rt: ResourceType, name: str, expected: Any, live: Obj) -> None:
        """A write naming a resourceVersion is refused once the object has moved past it."""
        if expected and expected != live["metadata"]["resourceVersion"]:
            raise self._conflict(
                rt,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            )

    def _conflict(self, rt: ResourceType, name: str, why: str, causes: list[Obj] | None = None) -> KubeError:
        details: Obj = {"name": name, "group": rt.group, "kind": rt.plural}
        if causes:
            details["causes"] = causes
        return KubeError(
            409, "Conflict", f'Operation cannot be fulfilled on {rt.group_resource} "{name}": {why}', details
        )

    def patch(
        self,
        rt: ResourceType,
        ns: str,
        name: str,
        patch: Any,
        content_type: str,
        sub: str = "",
        manager: str = "unknown",
    ) -> Obj:
        with self.lock:
            live = self._live(rt, ns, name)
            try:
                if content_type == "application/json-patch+json":
                    patched = jsonpatch.apply_patch(live, patch)
                elif content_type == "application/strategic-merge-patch+json":
                    patched = fields.merge_patch(live, patch, rt.keyed_lists)
                else:
                    patched = fields.merge_patch(live, patch)
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as e:
                raise KubeError(422, "Invalid", f"the patch could not be applied: {e}") from e
            if not isinstance(patched, dict):
                raise KubeError(400, "BadRequest", "the patch did not produce an object")
            new = self._check_body(rt, ns, patched, name)
            rv = (patch.get("metadata") or {}).get("resourceVersion") if isinstance(patch, dict) else None
            self._check_version(rt, name, rv, live)
            if sub == "status":
                status = new.get("status")
                new = copy.deepcopy(live)
                new.pop("status", None)
                if status is not None:
                    new["status"] = status
            new["metadata"]["managedFields"] = live["metadata"].get("managedFields", [])
            self._record_update(rt, live, new, manager, sub)
            self._commit(rt, ns, new, live, sub)
            return self._settle(rt, ns, name, sub)

    def apply(
        self, rt: ResourceType, ns: str, name: str, body: Any, manager: str, force: bool, sub: str = ""
    ) -> Obj:
        """Server-side apply: merge `body` in as `manager`; 409 on conflicts unless `force`."""
        with self.lock:
            cfg = self._check_body(rt, ns, body, name)
            live = self.objects.get((rt.group, rt.plural, ns, name))
            if live is None:
                if sub:
                    raise not_found(rt.group_resource, name, rt.group, rt.plural)
                self._require_namespace(rt, ns)
                if rt.plural == CRD_PLURAL:
                    self._check_crd(cfg)
            keyed = rt.keyed_lists
            cfg_view = fields.owned_view(cfg, sub)
            live_view = fields.owned_view(live or {}, sub)
            applied = fields.paths(cfg_view, keyed)
            entries = _entries(live)
            me: Ident = (manager, "Apply", sub)
            previous = entries.get(me, set())
            conflicts: dict[fields.Path, list[str]] = {}
            for ident, owned in entries.items():
                if ident == me:
                    continue
                for p in sorted(applied & owned):
                    want = fields.get(cfg_view, p)
                    have = fields.get(live_view, p)
                    if not isinstance(want, dict) and have is not fields.MISSING and have != want:
                        conflicts.setdefault(p, []).append(ident[0])
            if conflicts and not force:
                raise self._apply_conflict(rt, name, conflicts)
            for ident, owned in entries.items():
                if ident != me:
                    owned -= set(conflicts)
            if live is None:
                new = cfg
                for k in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"):
                    new["metadata"].pop(k, None)
            else:
                kept = ("apiVersion", "kind", "metadata", "status") if not sub else tuple(live)
                new = copy.deepcopy({k: v for k, v in live.items() if k in kept})
                merged = copy.deepcopy(fields.merge(live_view, cfg_view, keyed))  # shares nothing with live
                new["metadata"].update(merged.pop("metadata", {}))
                new.update(merged)
            others: set[fields.Path] = set().union(*(o for i, o in entries.items() if i != me))
            for p in sorted(previous - applied, key=len):
                if p in others or any(q[: len(p)] == p for q in others):
                    continue
                if len(p) > 1 and p[-2].startswith("k:") and p[-1][2:] in json.loads(p[-2][2:]):
                    continue  # a list item's key goes only with the item
                fields.remove(new, p)
            entries[me] = applied
            self._write_entries(rt, new, entries)
            self._commit(rt, ns, new, live, sub)
            return self._settle(rt, ns, name, sub)

    def _apply_conflict(
        self, rt: ResourceType, name: str, conflicts: dict[fields.Path, list[str]]
    ) -> KubeError:
        causes: list[Obj] = []
        by_manager: dict[str, list[str]] = {}
        for p, managers in conflicts.items():
            for m in managers:
                msg = f'conflict with "{m}" using {rt.api_version}'
                causes.append({"reason": "FieldManagerConflict", "message": msg, "field": fields.describe(p)})
                by_manager.setdefault(m, []).append(fields.describe(p))
        n = len(causes)
        if n == 1:
            why = f"Apply failed with 1 conflict: {causes[0]['message']}: {causes[0]['field']}"
        else:
            why = f"Apply failed with {n} conflicts: " + "\n".join(
                f'conflicts with "{m}" using {rt.api_version}:\n' + "\n".join(f"- {f}" for f in fs)
                for m, fs in by_manager.items()
            )
        return self._conflict(rt, name, why, causes)

    def delete(self, rt: ResourceType, ns: str, name: str) -> Obj:
        with self.lock:
            self._live(rt, ns, name)
            live = self.remove((rt.group, rt.plural, ns, name))
            workloads.on_delete(self, live)
            details = {"name": name, "group": rt.group, "kind": rt.plural, "uid": live["metadata"]["uid"]}
            return {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": details,
            }

    def delete_collection(
        self, rt: ResourceType, ns: str | None, labels: str | None, flds: str | None
    ) -> Obj:
        with self.lock:
            listed = self.list_objects(rt, ns, labels, flds)
            for item in listed["items"]:
                md = item["metadata"]
                ns_name = (md.get("namespace", ""), md["name"])
                if (rt.group, rt.plural, *ns_name) in self.objects:  # not garbage-collected meanwhile
                    self.delete(rt, *ns_name)
            return listed

    def set_status(self, rt: ResourceType, ns: str, name: str, status: Obj) -> Obj:
        with self.lock:
            live = self._live(rt, ns, name)
            new = copy.deepcopy(live)
            new["status"] = copy.deepcopy(status)
            self._record_update(rt, live, new, "fake-kube-controller", "status")
            self._commit(rt, ns, new, live, "status")
            return self._settle(rt, ns, name, "status")

    # -- pod logs ----------------------------------------------------------------------------------

    def _log_container(self, ns: str, pod: str, container: str | None) -> str:
        """The container whose log is asked for, chosen and checked as the API server does."""
        live = self._live(self.types[("", "v1", "pods")], ns, pod)
        containers, init = _container_names(live, "containers"), _container_names(live, "initContainers")
        if not container:
            if len(containers) == 1:
                return containers[0]
            message = f"a container name must be specified for pod {pod}"
            if containers:
                message += f", choose one of: [{' '.join(containers)}]"
            if containers and init:
                message += f" or one of the init containers: [{' '.join(init)}]"
            raise KubeError(400, "BadRequest", message)
        if container not in containers + init:
            raise KubeError(400, "BadRequest", f"container {container} is not valid for pod {pod}")
        return container

    def write_log(self, ns: str, pod: str, container: str, lines: tuple[str, ...], at: float | None) -> None:
        with self.lock:
            written = [LogLine(time.time() if at is None else at, line) for line in lines]
            self.logs.setdefault((ns, pod, self._log_container(ns, pod, container)), []).extend(written)
            self.log_written.notify_all()

    def read_log(self, ns: str, pod: str, container: str | None, query: LogQuery) -> str:
        """A container's log lines, each ending in a newline; 400 if it has not started yet (waiting,
        never restarted), as the kubelet answers."""
        lines = query.select(self._log_lines(ns, pod, container)[1])
        return "".join(query.render(line) + "\n" for line in lines)

    def follow_log(self, ns: str, pod: str, container: str | None, query: LogQuery) -> Iterator[list[str]]:
        """`read_log` with `follow=true`: checked at once (the same errors), then the lines in batches —
        what exists, then what `write_log` adds, as it is written. An empty batch means nothing new for
        `LOG_WAIT` seconds (the server then checks that its client is still there). Ends when the pod is
        deleted (a new pod of the same name has a log of its own) or `stop_following` is called."""
        with self.lock:
            name, lines = self._log_lines(ns, pod, container)
            uid = self.objects[("", "pods", ns, pod)]["metadata"]["uid"]
        first = [query.render(line) for line in query.select(lines)]
        return self._log_batches((ns, pod, name), uid, first, len(lines), query)

    def stop_following(self) -> None:
        with self.lock:
            self.logs_followed = False
            self.log_written.notify_all()

    def _log_batches(
        self, key: tuple[str, str, str], uid: str, first: list[str], seen: int, query: LogQuery
    ) -> Iterator[list[str]]:
        with self.lock:
            self.log_followers += 1
        try:
            yield first
            written: list[LogLine] = []  # the container's lines; kept when its pod goes, so none is lost
            while True:
                with self.lock:
                    if self._same_pod(key, uid) and len(self.logs.get(key, ())) <= seen:
                        self.log_written.wait(LOG_WAIT)
                    ended = not (self.logs_followed and self._same_pod(key, uid))
                    if self._same_pod(key, uid):
                        written = self.logs.get(key, written)
                    batch, seen = written[seen:], len(written)
                if batch or not ended:
                    yield [query.render(line) for line in batch]
                if ended:
                    return
        finally:
            with self.lock:
                self.log_followers -= 1

    def _same_pod(self, key: tuple[str, str, str], uid: str) -> bool:
        pod = self.objects.get(("", "pods", key[0], key[1]))
        return pod is not None and pod["metadata"]["uid"] == uid

    def _log_lines(self, ns: str, pod: str, container: str | None) -> tuple[str, list[LogLine]]:
        """The container's name and its lines, checked as the kubelet does."""
        with self.lock:
            name = self._log_container(ns, pod, container)
            statuses = (self.objects[("", "pods", ns, pod)].get("status") or {}).get("containerStatuses")
            for cs in statuses or []:
                waiting = (cs.get("state") or {}).get("waiting") if isinstance(cs, dict) else None
                if isinstance(waiting, dict) and cs.get("name") == name and not cs.get("restartCount"):
                    reason = waiting.get("reason") or "ContainerCreating"
                    why = f'container "{name}" in pod "{pod}" is waiting to start: {reason}'
                    raise KubeError(400, "BadRequest", why)
            return name, list(self.logs.get((ns, pod, name), []))

    # -- CustomResourceDefinitions -----------------------------------------------------------------

    def _check_crd(self, crd: Obj) -> None:
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        problems = [
            f
            for f, v in (
                ("spec.group", spec.get("group")),
                ("spec.names.kind", names.get("kind")),
                ("spec.names.plural", names.get("plural")),
            )
            if not v
        ]
        if not problems and crd["metadata"]["name"] != f"{names['plural']}.{spec['group']}":
            problems.append('metadata.name: must be spec.names.plural+"."+spec.group')
        if problems:
            name = crd["metadata"]["name"]
            raise KubeError(
                422,
                "Invalid",
                f'CustomResourceDefinition.apiextensions.k8s.io "{name}" is invalid: ' + ", ".join(problems),
                {"name": name, "group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition"},
            )

    def _register_crd(self, crd: Obj, old: Obj | None) -> None:
        if old is not None:
            for rt in from_crd(old):
                self.types.pop((rt.group, rt.version, rt.plural), None)
        for rt in from_crd(crd):
            self.types[(rt.group, rt.version, rt.plural)] = rt
        spec = crd.get("spec") or {}
        crd["status"] = {
            "acceptedNames": spec.get("names") or {},
            "conditions": workloads.conditions(
                ((old or {}).get("status") or {}).get("conditions"),
                ("NamesAccepted", "True", "NoConflicts", "no conflicts found"),
                ("Established", "True", "InitialNamesAccepted", "the initial names have been accepted"),
            ),
            "storedVersions": [v["name"] for v in spec.get("versions") or [] if v.get("storage")],
        }

    def _unregister_crd(self, crd: Obj) -> None:
        for rt in from_crd(crd):
            self.types.pop((rt.group, rt.version, rt.plural), None)
            for key in [k for k in self.objects if k[0] == rt.group and k[1] == rt.plural]:
                del self.objects[key]
