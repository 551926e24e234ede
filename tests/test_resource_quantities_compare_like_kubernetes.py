"""Resource quantities compare by value, as Kubernetes stores them: an API server keeps `cpu: 0.5` as
"500m" and `1.5Gi` as "1536Mi", so the manifest Vessel applies and the live object may spell one
quantity two ways. Both sides are tested: the fake API server stores quantities in the canonical form a
real one does (Kubernetes' own test vectors), and the server-side-apply comparison shared by the
kubernetes and memory targets and `vessel diff` finds no drift between two spellings of one value — so a
steady state on a real cluster writes nothing and shows no diff."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vessel.controller.diff import unified_diff
from vessel.errors import TargetRejectedError
from vessel.model.quantity import canonical_text, same_quantity
from vessel.targets.applied import matches
from vessel.targets.kubernetes import KubernetesTarget
from vessel.targets.protocol import TargetInfo
from vessel.testing.fake_kube import FakeKubeServer

# (written, what an API server stores): k8s.io/apimachinery/pkg/api/resource quantity_test.go
# (TestQuantityParseEmit, TestQuantityString's alternates, TestQuantityParse's rounding), and JSON numbers.
CANONICAL = [
    ("1Ki", "1Ki"), ("1024Mi", "1Gi"), ("307200Ki", "300Mi"), ("1.5Gi", "1536Mi"), ("1000M", "1G"),
    ("0.001T", "1G"), (".001Ki", "1024m"), (".000001Ki", "1024u"), (".000000000001Ki", "2n"),
    ("0.5Ki", "512"), ("0.9765625Ki", "1k"), ("100.035Ki", "102435840m"), ("5000m", "5"), ("0.5", "500m"),
    ("1.5", "1500m"), ("1.08", "1080m"), ("1080000000n", "1080m"), ("1000u", "1m"), ("1500", "1500"),
    ("1000", "1k"),
    ("1e3", "1e3"), ("1.2e3", "1200"), (".001e12", "1e9"), ("0.001e0", "1e-3"), ("1000e-12", "1e-9"),
    ("1000E", "1e21"), ("0.9n", "1n"), ("3.001n", "4n"), ("1.1E-9", "2e-9"), ("00", "0"), ("0Gi", "0"),
    ("-1.5", "-1500m"), ("-2048Ki", "-2Mi"), ("1073741824", "1073741824"), ("1Gi", "1Gi"),
    (0.5, "500m"), (2, "2"), (1073741824, "1073741824"), (1e-07, "100e-9"),
]  # fmt: skip
NOT_QUANTITIES = [
    "1.1.M",
    "1+1.0M",
    "0.1mi",
    "0.1am",
    "aoeu",
    ".5i",
    "1i",
    "-3.01e-",
    " 1",
    "1 ",
    "",
    "1K",
    True,
]


@pytest.mark.parametrize(("written", "stored"), CANONICAL)
def test_quantities_take_the_canonical_form_an_api_server_stores(written: object, stored: str) -> None:
    assert canonical_text(written) == stored
    assert same_quantity(written, stored)


@pytest.mark.parametrize("text", NOT_QUANTITIES)
def test_malformed_quantities_are_refused(text: object) -> None:
    with pytest.raises(ValueError, match="quantit"):
        canonical_text(text)
    assert not same_quantity(text, text)


# --- the fake API server stores them as a real one does --------------------------------------------------


@pytest.fixture
def kube() -> Iterator[FakeKubeServer]:
    with FakeKubeServer() as server:
        yield server


@pytest.fixture
def target(kube: FakeKubeServer, tmp_path: Path) -> Iterator[KubernetesTarget]:
    config = kube.kubeconfig(tmp_path / "kubeconfig")
    t = KubernetesTarget(TargetInfo("k8s", "kubernetes", {}, {"kubeconfig": str(config)}))
    yield t
    t.close()


def deployment(requests: dict[str, Any], limits: dict[str, Any]) -> dict[str, Any]:
    container = {"name": "api", "image": "api:1", "resources": {"requests": requests, "limits": limits}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "0.5Gi"}}],
                },
            },
        },
    }


def v1(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
    }


def test_the_fake_api_server_stores_quantities_in_canonical_form(target: KubernetesTarget) -> None:
    live = target.apply(deployment({"cpu": 0.5, "memory": 1073741824}, {"cpu": 2, "memory": "1.5Gi"})).live
    pod_spec = live["spec"]["template"]["spec"]
    assert pod_spec["containers"][0]["resources"] == {
        "requests": {"cpu": "500m", "memory": "1073741824"},
        "limits": {"cpu": "2", "memory": "1536Mi"},
    }
    assert pod_spec["volumes"][0]["emptyDir"] == {"sizeLimit": "512Mi"}
    claim = target.apply(
        v1("PersistentVolumeClaim", "data", {"resources": {"requests": {"storage": "1024Mi"}}})
    )
    assert claim.live["spec"]["resources"]["requests"] == {"storage": "1Gi"}
    quota = target.apply(
        v1("ResourceQuota", "team", {"hard": {"requests.cpu": 4, "limits.memory": "2048Mi"}})
    )
    assert quota.live["spec"]["hard"] == {"requests.cpu": "4", "limits.memory": "2Gi"}
    limit = {"type": "Container", "max": {"cpu": "1000m"}, "default": {"memory": 268435456}}
    ranges = target.apply(v1("LimitRange", "bounds", {"limits": [limit]}))
    assert ranges.live["spec"]["limits"] == [
        {"type": "Container", "max": {"cpu": "1"}, "default": {"memory": "268435456"}}
    ]


def test_fields_that_are_not_quantities_and_custom_resources_keep_what_was_sent(
    target: KubernetesTarget,
) -> None:
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}}
    assert target.apply({**config, "data": {"cpu": "0.5"}}).live["data"] == {"cpu": "0.5"}
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "caches.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Cache", "plural": "caches"},
            "scope": "Namespaced",
            "versions": [{"name": "v1", "served": True, "storage": True}],
        },
    }
    target.apply(crd)
    cache = {
        "apiVersion": "example.com/v1",
        "kind": "Cache",
        "metadata": {"name": "c", "namespace": "default"},
    }
    live = target.apply({**cache, "spec": {"resources": {"requests": {"memory": "1024Mi"}}}}).live
    assert live["spec"]["resources"]["requests"] == {"memory": "1024Mi"}


def test_a_malformed_quantity_is_refused_by_the_api_server(target: KubernetesTarget) -> None:
    with pytest.raises(TargetRejectedError, match="quantities must match the regular expression"):
        target.apply(deployment({"cpu": "half"}, {}))


# --- the comparison: equal quantities are no drift ----------------------------------------------------------


def test_equal_quantities_spelled_differently_are_not_drift() -> None:
    manifest = deployment({"cpu": 0.5, "memory": "1Gi"}, {"cpu": 1, "memory": 1073741824})
    live = copy.deepcopy(manifest)
    resources = live["spec"]["template"]["spec"]["containers"][0]["resources"]
    resources.update(requests={"cpu": "500m", "memory": "1Gi"}, limits={"cpu": "1", "memory": "1073741824"})
    live["spec"]["template"]["spec"]["volumes"][0]["emptyDir"]["sizeLimit"] = "512Mi"
    assert matches(live, manifest)
    assert unified_diff(live, manifest) == ""

    resources["requests"]["cpu"] = "501m"  # a different quantity is drift, and shows as one
    assert not matches(live, manifest)
    changed = [
        line.replace(" ", "") for line in unified_diff(live, manifest).splitlines()[2:] if line[0] in "+-"
    ]
    assert changed == ["-cpu:501m", "+cpu:0.5"]


def test_only_quantity_fields_of_built_in_kinds_compare_by_value() -> None:
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"cpu": "0.5"}}
    assert not matches({**config, "data": {"cpu": "500m"}}, config)  # a string is a string
    cache = {
        "apiVersion": "example.com/v1",
        "kind": "Cache",
        "spec": {"resources": {"limits": {"cpu": "0.5"}}},
    }
    assert not matches({**cache, "spec": {"resources": {"limits": {"cpu": "500m"}}}}, cache)  # kept as sent


def test_a_steady_state_with_non_canonical_quantities_sends_nothing(
    kube: FakeKubeServer, target: KubernetesTarget
) -> None:
    def patches() -> int:
        return sum(1 for method, path in kube.requests if method == "PATCH" and "/deployments/api" in path)

    manifest = deployment({"cpu": 0.5, "memory": "1.5Gi"}, {"cpu": 2})
    assert target.apply(manifest).changed and patches() == 1
    for _ in range(3):  # the steady-state loop re-applies what the store says it applied, every pass
        assert not target.apply(manifest, applied=True).changed
    assert patches() == 1, "the canonical spelling the server stored was read as drift, and sent again"
