"""`kubernetes`: deliver objects to a cluster with server-side apply, as KubeVela does.

Config (`TargetInfo.config`): `kubeconfig` (a path; without it, the in-cluster service account, then
`$KUBECONFIG` or `~/.kube/config`), `context` (default: the kubeconfig's current one), `namespace` (for
namespaced objects that name none; default: the context's namespace, else `default`),
`createNamespaces` (default true: a missing namespace is created before the first object in it) and
`timeout` (seconds per request, default 10).

- apply: server-side apply with field manager `vessel`, always forced — Vessel owns the fields it renders,
  like KubeVela (the protocol's `force` flag is therefore moot). Any kind the API server's discovery
  lists works, including kinds of CRDs applied earlier. The object is read first: when the caller says
  this exact manifest was applied before (`applied`: the inventory in the store says so, so a restarted
  process knows it too) and the live object still matches it (`targets.applied`), nothing is written.
  Any other manifest is sent, so fields a changed manifest dropped are removed by the server.
- live_version: one GET, the object's resourceVersion (which moves with any change, status included):
  the steady state skips an object whose version it recorded when it found it up to date.
  `changed` means the resourceVersion moved and more than status and managedFields differ; the live
  object is the server's answer, status included.
- list_owned: lists, across all namespaces, the kinds this target applied since the process started plus
  a fixed set of common kinds (workloads, services, config, ingresses, autoscalers), selecting
  `app.oam.dev/name=<app>,app.oam.dev/namespace=<namespace>`. Listing every discoverable kind would cost
  dozens of requests per call; the engine's own inventory (in the store) is what pruning relies on.
- instances and logs: the workload's pods (see `pods`); logs are read per pod and container (`tailLines`),
  prefixed `pod | ` (`pod/container | ` when a pod has several containers). Followed, each is streamed
  (`follow=true`, no read timeout) in a thread of its own, merged as lines arrive.
- cluster_version: the server's `gitVersion`, asked once per `VERSION_TTL` seconds, so templates render
  for the cluster they land on (`context.clusterVersion`).
- Errors: see `failures`. A kind the server does not serve (yet) is transient: a CRD applied in the same
  delivery may not be established at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from vessel.errors import Location, TargetRejectedError, TargetUnavailableError
from vessel.model.resource_key import ResourceKey
from vessel.targets import generated_secrets, settings
from vessel.targets.applied import desired_state, matches
from vessel.targets.kubernetes import before_delete, pods
from vessel.targets.kubernetes.client import APPLY, ApiClient, Reply
from vessel.targets.kubernetes.discovery import ApiResource, Discovery
from vessel.targets.protocol import (
    APP_LABEL,
    APP_NAMESPACE_LABEL,
    FIELD_MANAGER,
    ApplyResult,
    Instance,
    TargetInfo,
    TargetStatus,
    live_version_of,
)

NOT_FOUND = frozenset({404})
VERSION_TTL = 300.0
_NO_LOGS = frozenset({400, 404})  # a container not started yet, a pod just deleted: no lines

# Listed by list_owned besides the kinds applied in this process (skipped when not served).
COMMON_KINDS = (
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("v1", "Service"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "ServiceAccount"),
    ("v1", "PersistentVolumeClaim"),
    ("networking.k8s.io/v1", "Ingress"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
)


class KubernetesTarget:
    live_state = True

    def __init__(self, info: TargetInfo):
        kubeconfig, context = settings.text(info, "kubeconfig"), settings.text(info, "context")
        self.namespace = settings.text(info, "namespace")
        self.create_namespaces = settings.flag(info, "createNamespaces", True)
        timeout = settings.seconds(info, "timeout", 10.0)
        self.info = info
        self.api = ApiClient(info.name, kubeconfig, context, timeout)
        self.discovery = Discovery(self._discover)
        self._applied: set[ApiResource] = set()
        self._namespaces: set[str] = set()  # known to exist
        self._version: tuple[float, str] | None = None  # (asked at, gitVersion)
        self._lock = threading.Lock()

    # -- the protocol ------------------------------------------------------------------------------

    def apply(
        self,
        manifest: Mapping[str, Any],
        *,
        force: bool = False,
        source_dir: str | None = None,
        applied: bool = False,
    ) -> ApplyResult:
        key = ResourceKey.of(manifest)
        what = str(key)
        if not key.name:
            raise TargetRejectedError(f"{what}: the object has no name", Location(path="metadata.name"))
        res = self._resource(key, what)
        body = desired_state(manifest)  # a stale resourceVersion would turn the apply into a conflict check
        meta = body["metadata"]
        namespace = ""
        if res.namespaced:
            namespace = meta["namespace"] = self._namespace_of(key)
            self._ensure_namespace(namespace, what)
        else:
            meta.pop("namespace", None)
        path = res.path(namespace, key.name)
        before = self.api.call("GET", path, what, allow=NOT_FOUND)
        previous = self._live(before, res, what) if before.ok else None
        if previous is not None and applied and matches(previous, body):
            filled = self._fill_secret(manifest, previous, res, namespace, what)
            return ApplyResult(filled is not None, filled or previous)  # this manifest was applied, and holds
        params = {"fieldManager": FIELD_MANAGER, "force": "true"}
        reply = self.api.call(
            "PATCH", path, what, params=params, body=body, content_type=APPLY, allow=NOT_FOUND
        )
        if reply.code == 404:
            with self._lock:
                self._namespaces.discard(namespace)  # deleted behind our back? the next try recreates it
            if res.namespaced and self.create_namespaces:
                raise TargetUnavailableError(
                    f"target {self.info.name!r}: {what}: {_message(reply)} (will create the namespace again)"
                )
            raise TargetRejectedError(
                f"target {self.info.name!r}: {what}: {_message(reply)}",
                hint="create the namespace, or set createNamespaces: true on the target",
            )
        live = self._live(reply, res, what)
        with self._lock:
            self._applied.add(res)
        filled = self._fill_secret(manifest, live, res, namespace, what)
        return ApplyResult(filled is not None or _changed(previous, live), filled or live)

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        what = str(key)
        res = self.discovery.find(key.api_version, key.kind)
        if res is None:  # the kind is not served, so no such object exists
            return None
        namespace = self._namespace_of(key) if res.namespaced else ""
        reply = self.api.call("GET", res.path(namespace, key.name), what, allow=NOT_FOUND)
        return None if reply.code == 404 else self._live(reply, res, what)

    def read_cluster_object(self, key: ResourceKey) -> dict[str, Any] | None:
        """`ClusterReading`: what a render reads (a helmchart's valuesFrom), through this target's client."""
        return self.get(key)

    def live_version(self, key: ResourceKey) -> str | None:
        return live_version_of(self.get(key))

    def delete(self, key: ResourceKey) -> bool:
        what = str(key)
        res = self.discovery.find(key.api_version, key.kind)
        if res is None:
            return False
        namespace = self._namespace_of(key) if res.namespaced else ""
        path = res.path(namespace, key.name)
        live = self.api.call("GET", path, what, allow=NOT_FOUND)
        hook = before_delete.hook_of(live.body, what) if live.ok and isinstance(live.body, dict) else None
        if hook is not None:
            self._run_before_delete(hook, what)
        return self._delete(path, what)

    def _delete(self, path: str, what: str) -> bool:
        params = {"propagationPolicy": "Background"}
        reply = self.api.call("DELETE", path, what, params=params, allow=NOT_FOUND)
        return reply.code != 404

    def _run_before_delete(self, hook: dict[str, Any], what: str) -> None:
        """Return once the hook Job has succeeded (and is deleted); else raise (see `before_delete`)."""
        job_key = ResourceKey.of(hook)
        job = f"Job {job_key.namespace}/{job_key.name}"
        live = self.get(job_key)
        if live is None:
            self.apply(hook)
            raise TargetUnavailableError(
                f"{what}: waiting for {job} to run before it is deleted", retry_after=2
            )
        state, said = before_delete.progress(live)
        if state == before_delete.FAILED:
            raise TargetRejectedError(
                f"{what}: {job}, which must succeed before it is deleted, failed: {said}",
                hint=f"fix the cause and delete {job} to run it again, or forget this object "
                "(vessel delete --orphan)",
            )
        if state == before_delete.RUNNING:
            raise TargetUnavailableError(
                f"{what}: waiting for {job} to succeed before it is deleted ({said})", retry_after=2
            )
        res = self._resource(job_key, job)
        self._delete(res.path(job_key.namespace, job_key.name), job)

    def list_owned(self, app: str, namespace: str) -> list[dict[str, Any]]:
        selector = f"{APP_LABEL}={app},{APP_NAMESPACE_LABEL}={namespace}"
        owned: list[dict[str, Any]] = []
        for res in self._listable():
            what = f"{res.kind}.{res.api_version} objects of application {namespace}/{app}"
            reply = self.api.call("GET", res.path(), what, params={"labelSelector": selector})
            items = reply.body.get("items") if isinstance(reply.body, Mapping) else None
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict):
                    labels = (item.get("metadata") or {}).get("labels") or {}
                    if labels.get(APP_LABEL) == app and labels.get(APP_NAMESPACE_LABEL) == namespace:
                        owned.append({"apiVersion": res.api_version, "kind": res.kind, **item})
        return sorted(owned, key=lambda obj: ResourceKey.of(obj))

    def list_labelled(
        self, api_version: str, kind: str, namespace: str, labels: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        items = self._list(api_version, kind, namespace, selector or None)
        return [{"apiVersion": api_version, "kind": kind, **item} for item in items]

    def logs(
        self,
        key: ResourceKey,
        tail: int | None = None,
        follow: bool = False,
        *,
        since: float | None = None,
        timestamps: bool = False,
    ) -> Iterator[str]:
        """Each pod's (and container's) log, pod after pod; `tail`, `since` and `timestamps` are the log
        API's `tailLines`, `sinceSeconds` and `timestamps`, applied to each. Followed, every container of
        the pods found now is streamed at once until the pods are gone: pods created later (a rollout)
        are not picked up."""
        sources = [source for pod in self._pods(key) for source in pods.log_sources(pod)]
        params = pods.log_params(tail, since, timestamps)
        if follow:
            return pods.follow(self.api, sources, params, _NO_LOGS)
        return self._read_logs(sources, params)

    def _read_logs(self, sources: list[pods.LogSource], params: dict[str, str]) -> Iterator[str]:
        for source in sources:
            what = source.what
            reply = self.api.call(
                "GET",
                source.path,
                what,
                params={"container": source.container, **params},
                accept="*/*",
                allow=_NO_LOGS,
            )
            text = reply.body if reply.ok and isinstance(reply.body, str) else ""
            yield from (f"{source.prefix} | {line}" for line in text.splitlines())

    def instances(self, key: ResourceKey) -> list[Instance]:
        return [pods.instance(pod) for pod in self._pods(key)]

    def cluster_version(self) -> str:
        with self._lock:
            if self._version is not None and time.monotonic() - self._version[0] < VERSION_TTL:
                return self._version[1]
        return self._ask_version()

    def status(self) -> TargetStatus:
        try:
            version = self._ask_version()
        except (TargetUnavailableError, TargetRejectedError) as exc:
            return TargetStatus(False, message=exc.render())
        return TargetStatus(True, version, self.api.kubeconfig or "")

    def close(self) -> None:
        self.api.close()

    # -- helpers -----------------------------------------------------------------------------------

    def _fill_secret(
        self, manifest: Mapping[str, Any], live: dict[str, Any], res: ApiResource, namespace: str, what: str
    ) -> dict[str, Any] | None:
        """Fill the keys a rendered Secret asks for and the live one lacks (see `generated_secrets`);
        the live Secret afterwards, or None when nothing was missing."""
        keys = generated_secrets.missing(generated_secrets.wanted(manifest), live)
        if not keys:
            return None
        origin = generated_secrets.source(manifest, what)
        if origin is None:
            data = generated_secrets.generated(keys)
        else:
            where = "/".join(origin)
            found = self.get(ResourceKey("v1", "Secret", origin[0], origin[1]))
            data = generated_secrets.copied(keys, found, where, what)
        body = generated_secrets.fill_body(manifest, namespace, data)
        params = {"fieldManager": generated_secrets.MANAGER, "force": "true"}
        path = res.path(namespace, str(body["metadata"]["name"]))
        reply = self.api.call("PATCH", path, what, params=params, body=body, content_type=APPLY)
        return self._live(reply, res, what)

    def _discover(self, path: str) -> Mapping[str, Any] | None:
        reply = self.api.call("GET", path, f"discovery of {path}", allow=NOT_FOUND)
        return reply.body if reply.ok and isinstance(reply.body, Mapping) else None

    def _resource(self, key: ResourceKey, what: str) -> ApiResource:
        res = self.discovery.find(key.api_version, key.kind)
        if res is None and (served := self.discovery.spelled_otherwise(key.api_version, key.kind)):
            raise TargetRejectedError(
                f"target {self.info.name!r}: {what}: the API server serves kind {served!r}, not "
                f"{key.kind!r}, in {key.api_version!r} (kinds are case-sensitive)",
                Location(path="kind"),
                hint=f"write kind: {served}",
            )
        if res is None:
            raise TargetUnavailableError(
                f"target {self.info.name!r}: {what}: the API server does not serve kind {key.kind!r} "
                f"in {key.api_version!r}",
                hint="its CRD may not be established yet; otherwise check apiVersion and kind",
            )
        return res

    def _namespace_of(self, key: ResourceKey) -> str:
        return key.namespace or self.namespace or self.api.default_namespace

    def _ensure_namespace(self, namespace: str, what: str) -> None:
        with self._lock:
            if not self.create_namespaces or namespace in self._namespaces:
                return
        path = f"/api/v1/namespaces/{quote(namespace, safe='')}"
        why = f"namespace {namespace!r} for {what}"
        if self.api.call("GET", path, why, allow=NOT_FOUND).code == 404:
            ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
            self.api.call("POST", "/api/v1/namespaces", why, body=ns, allow=frozenset({409}))
        with self._lock:
            self._namespaces.add(namespace)

    def _listable(self) -> list[ApiResource]:
        found = {res for av, kind in COMMON_KINDS if (res := self.discovery.find(av, kind)) is not None}
        with self._lock:
            found |= self._applied
        return sorted(res for res in found if "list" in res.verbs)

    def _ask_version(self) -> str:
        reply = self.api.call("GET", "/version", "version")
        version = reply.body.get("gitVersion") if isinstance(reply.body, Mapping) else None
        if not isinstance(version, str) or not version:
            raise TargetUnavailableError(f"target {self.info.name!r}: /version did not name a gitVersion")
        with self._lock:
            self._version = (time.monotonic(), version)
        return version

    def _pods(self, key: ResourceKey) -> list[dict[str, Any]]:
        """The workload's pods (see `pods`), by name."""
        live = self.get(key)
        if live is None:
            return []
        if key.kind == "Pod" and key.api_version == "v1":
            return [live]
        namespace = str((live.get("metadata") or {}).get("namespace") or "")
        owners = [live]
        if key.kind == "CronJob":
            owners = [job for job in self._list("batch/v1", "Job", namespace) if pods.owned_by(job, live)]
        found: dict[str, dict[str, Any]] = {}
        for owner in owners:
            selector = pods.label_selector((owner.get("spec") or {}).get("selector"))
            if selector is not None:
                for pod in self._list("v1", "Pod", namespace, selector):
                    found[str((pod.get("metadata") or {}).get("name"))] = pod
        return [found[name] for name in sorted(found)]

    def _list(
        self, api_version: str, kind: str, namespace: str, selector: str | None = None
    ) -> list[dict[str, Any]]:
        res = self.discovery.find(api_version, kind)
        if res is None:
            return []
        what = f"{kind} objects in namespace {namespace}"
        params = {"labelSelector": selector} if selector else {}
        reply = self.api.call("GET", res.path(namespace), what, params=params)
        items = reply.body.get("items") if isinstance(reply.body, Mapping) else None
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    def _live(self, reply: Reply, res: ApiResource, what: str) -> dict[str, Any]:
        if not isinstance(reply.body, dict):
            raise TargetUnavailableError(
                f"target {self.info.name!r}: {what}: the API server answered {reply.code} without an object"
            )
        return {"apiVersion": res.api_version, "kind": res.kind, **reply.body}


def _changed(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> bool:
    """Whether the apply wrote something: the resourceVersion moved, and not merely for bookkeeping —
    some API servers store a new version for an apply that changed nothing, and a controller may have
    written status meanwhile, so the object is compared without those too."""
    if before is None:
        return True
    if live_version_of(before) == live_version_of(after):
        return False
    return _comparable(before) != _comparable(after)


def _comparable(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    ignored = ("resourceVersion", "managedFields")
    kept = {k: v for k, v in (meta.items() if isinstance(meta, Mapping) else ()) if k not in ignored}
    return {**{k: v for k, v in obj.items() if k not in ("status", "apiVersion", "kind")}, "metadata": kept}


def _message(reply: Reply) -> str:
    message = reply.body.get("message") if isinstance(reply.body, Mapping) else None
    return str(message or f"HTTP {reply.code}")
