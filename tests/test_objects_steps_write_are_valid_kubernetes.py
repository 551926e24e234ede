"""The objects the export and build steps write are what KubeVela's CUE renders for the same parameters
(defaults, typical, edge), and each is valid against the Kubernetes 1.31 OpenAPI schema (strict), as
every built-in definition's golden cases are."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vessel.definitions import Kind, builtin_definitions
from vessel.errors import Location
from vessel.workflow.steps.exports import config_map, exported, secret
from vessel.workflow.steps.jobs import kaniko_pod

kubernetes_validate = pytest.importorskip("kubernetes_validate")
STEPS = {d.name: d for d in builtin_definitions() if d.kind == Kind.WORKFLOW_STEP}


def resolved(step: str, properties: dict[str, Any]) -> dict[str, Any]:
    """The parameters the step function gets: validated, with the definition's defaults."""
    return STEPS[step].parameters.resolve(properties, lambda p: Location(path=str(p)))


def valid(manifest: dict[str, Any]) -> dict[str, Any]:
    kubernetes_validate.validate(manifest, "1.31", strict=True)
    return manifest


def test_export2config_defaults_to_the_application_namespace() -> None:
    body = valid(config_map(resolved("export2config", {"configName": "c", "data": {"k": "v"}}), "shop"))
    assert body == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "shop"},
        "data": {"k": "v"},
    }


def test_export2secret_generic_and_docker_registry() -> None:
    generic = valid(
        secret(resolved("export2secret", {"secretName": "s", "namespace": "ops", "data": {}}), "shop")
    )
    assert generic == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "ops"},
        "stringData": {},
    }
    registry = {"username": "u", "password": "p"}
    docker = valid(
        secret(
            resolved(
                "export2secret", {"secretName": "r", "kind": "docker-registry", "dockerRegistry": registry}
            ),
            "shop",
        )
    )
    assert docker["type"] == "kubernetes.io/dockerconfigjson"
    config = json.loads(docker["stringData"][".dockerconfigjson"])
    assert config == {
        "auths": {"https://index.docker.io/v1/": {"username": "u", "password": "p", "auth": "dTpw"}}
    }
    typed = secret(
        resolved(
            "export2secret",
            {"secretName": "t", "type": "kubernetes.io/tls", "data": {"tls.crt": "x", "tls.key": "y"}},
        ),
        "shop",
    )
    assert valid(typed)["type"] == "kubernetes.io/tls"


def test_export_data_names_after_the_application_by_default() -> None:
    as_config = valid(exported(resolved("export-data", {"data": {"host": "h"}}), "app", "shop"))
    assert (as_config["kind"], as_config["metadata"], as_config["data"]) == (
        "ConfigMap",
        {"name": "app", "namespace": "shop"},
        {"host": "h"},
    )
    as_secret = valid(
        exported(resolved("export-data", {"kind": "Secret", "name": "n", "data": {"k": "v"}}), "app", "shop")
    )
    assert as_secret["stringData"] == {"k": "v"} and "data" not in as_secret


@pytest.mark.parametrize(
    ("properties", "context"),
    [
        (
            {"context": {"git": "github.com/FogDong/simple-web-demo"}, "image": "x/y:1"},
            "git://github.com/FogDong/simple-web-demo#refs/heads/master",
        ),
        (
            {
                "context": {"git": "git://github.com/a/b", "branch": "main"},
                "image": "x/y:1",
                "credentials": {"image": {"name": "img"}, "git": {"name": "git", "key": "token"}},
                "buildArgs": ["A=1", "B=2"],
                "platform": "linux/arm64",
                "verbosity": "debug",
            },
            "git://github.com/a/b#refs/heads/main",
        ),
        (
            {
                "context": "dir:///workspace",
                "image": "x/y:1",
                "kanikoExecutor": "gcr.io/kaniko-project/executor:latest",
            },
            "dir:///workspace",
        ),
    ],
    ids=["defaults", "typical", "plain-context"],
)
def test_kaniko_pod_is_kubevelas_and_valid_kubernetes(properties: dict[str, Any], context: str) -> None:
    pod = valid(kaniko_pod("app", "shop", "0a1b2c3d", resolved("build-push-image", properties)))
    (container,) = pod["spec"]["containers"]
    assert container["args"][1] == f"--context={context}"
    if "credentials" in properties:
        (volume,) = pod["spec"]["volumes"]
        assert volume["secret"]["items"] == [{"key": ".dockerconfigjson", "path": "config.json"}]
        assert container["args"][4:] == ["--customPlatform=linux/arm64", "--build-arg=A=1", "--build-arg=B=2"]
