"""Built-in policies and workflow steps that carry only parameters (the engine implements them) accept
the properties of KubeVela's own examples, fill in KubeVela's defaults, and reject typical mistakes
naming the field."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from vessel.definitions import Definition, Kind, builtin_definitions
from vessel.errors import Location, VesselError
from vessel.model.paths import format_path

POLICIES = [
    "topology",
    "override",
    "garbage-collect",
    "apply-once",
    "read-only",
    "take-over",
    "shared-resource",
]
STEPS = [
    "deploy",
    "apply-component",
    "apply-object",
    "read-object",
    "suspend",
    "step-group",
    "webhook",
    "notification",
    "request",
    "print-message-in-status",
    "depends-on-app",
    "create-config",
    "read-config",
    "list-config",
    "delete-config",
    "export2config",
    "export2secret",
    "export-data",
    "collect-service-endpoints",
    "apply-application",
    "apply-remaining",
    "deploy2runtime",
    "deploy2env",
    "build-push-image",
    "clean-jobs",
    "vela-cli",
    "apply-application-in-parallel",
    "export-service",
    "apply-deployment",
    "generate-jdbc-connection",
]
NAMES = [(Kind.POLICY, n) for n in POLICIES] + [(Kind.WORKFLOW_STEP, n) for n in STEPS]

# Properties from KubeVela's docs/examples and e2e test data. `expected` is the resolved `parameter`
# (properties plus defaults); when absent, the properties must come back unchanged.
VALID: list[dict[str, Any]] = yaml.safe_load("""
- policy: topology
  properties: {clusters: [hangzhou-1, hangzhou-2]}
- policy: topology
  properties: {clusterLabelSelector: {region: hangzhou}, allowEmpty: true}
- policy: topology
  properties: {clusters: [local], namespace: examples-alternative}
- policy: override
  properties: {components: [{name: nginx-with-override, properties: {image: "nginx:1.20"}}]}
- policy: override
  properties: {components: [{type: webservice, traits: [{type: scaler, properties: {replicas: 3}}]}]}
  expected:
    components: [{type: webservice, traits: [{type: scaler, properties: {replicas: 3}, disable: false}]}]
- policy: override
  properties: {selector: [nginx-advance-override-legacy]}
  expected: {selector: [nginx-advance-override-legacy], components: []}
- policy: garbage-collect
  properties: {rules: [{selector: {traitTypes: [expose]}, strategy: onAppDelete}]}
  expected:
    keepLegacyResource: false
    continueOnFailure: false
    rules: [{selector: {traitTypes: [expose]}, strategy: onAppDelete}]
- policy: garbage-collect
  properties:
    rules:
      - {selector: {componentNames: [cascading-gc]}, propagation: cascading}
  expected:
    keepLegacyResource: false
    continueOnFailure: false
    rules:
      - {selector: {componentNames: [cascading-gc]}, propagation: cascading, strategy: onAppUpdate}
- policy: garbage-collect
  properties: {keepLegacyResource: true, applicationRevisionLimit: 5}
  expected: {keepLegacyResource: true, applicationRevisionLimit: 5, continueOnFailure: false}
- policy: apply-once
  properties: {enable: true}
- policy: apply-once
  properties:
    rules:
      - selector: {componentNames: [hello-cosmos], resourceTypes: [Deployment]}
        strategy: {affect: onStateKeep, path: [spec.replicas]}
      - strategy: {}
  expected:
    enable: false
    rules:
      - selector: {componentNames: [hello-cosmos], resourceTypes: [Deployment]}
        strategy: {affect: onStateKeep, path: [spec.replicas]}
      - strategy: {path: []}
- policy: read-only
  properties: {rules: [{selector: {resourceTypes: [Deployment]}}]}
- policy: take-over
  properties: {rules: [{selector: {resourceTypes: [Deployment], resourceNames: [busybox-ref]}}]}
- policy: shared-resource
  properties: {rules: [{selector: {resourceTypes: [Namespace]}}]}
- step: deploy
  properties: {}
  expected: {auto: true, policies: [], parallelism: 5, ignoreTerraformComponent: true}
- step: deploy
  properties: {auto: false, policies: [topology-hangzhou-clusters]}
  expected:
    {auto: false, policies: [topology-hangzhou-clusters], parallelism: 5, ignoreTerraformComponent: true}
- step: apply-component
  properties: {component: express-server}
  expected: {component: express-server, cluster: "", namespace: ""}
- step: apply-object
  properties:
    value:
      apiVersion: v1
      kind: PersistentVolumeClaim
      metadata: {name: myclaim, namespace: default}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 8Gi}}, storageClassName: standard}
    cluster: my-cluster
- step: read-object
  properties: {apiVersion: v1, kind: ConfigMap, name: my-cm-name}
  expected: {apiVersion: v1, kind: ConfigMap, name: my-cm-name, namespace: default, cluster: ""}
- step: read-object
  properties: {name: my-app}
  expected:
    {apiVersion: core.oam.dev/v1beta1, kind: Application, name: my-app, namespace: default, cluster: ""}
- step: suspend
  properties: {}
- step: suspend
  properties: {duration: 30s, message: waiting for approval}
- step: step-group
  properties: {}
- step: webhook
  properties: {url: {value: "https://hooks.example.com/x"}, data: {value: test}}
- step: webhook
  properties: {url: {secretRef: {name: webhook-secret, key: url}}}
- step: notification
  properties:
    dingding:
      url: {value: "https://oapi.dingtalk.com/robot/send?access_token=x"}
      message: {msgtype: text, text: {content: Hello KubeVela}}
    lark:
      url: {value: "https://open.feishu.cn/open-apis/bot/v2/hook/x"}
      message: {msg_type: text, content: '{"text":" Hello KubeVela"}'}
    slack:
      url: {secretRef: {name: slack-secret, key: url}}
      message: {text: Hello KubeVela}
    email:
      from:
        address: vela@example.com
        alias: vela
        password: {value: secret}
        host: smtp.gmail.com
        port: 465
      to: [kubevela1@gmail.com, kubevela2@gmail.com]
      content: {subject: test-subject, body: test-body}
- step: notification
  properties:
    dingding:
      url: {value: "https://oapi.dingtalk.com/robot/send"}
      message: {markdown: {title: Deployed, text: "**done**"}, at: {isAtAll: true}}
    slack:
      url: {value: "https://hooks.slack.com/services/x"}
      message:
        text: fallback
        blocks:
          - type: section
            text: {type: mrkdwn, text: "*Deployed*"}
            accessory: {type: button, text: {type: plain_text, text: Open}, url: "https://example.com"}
    email:
      from:
        address: vela@example.com
        password: {secretRef: {name: smtp, key: password}}
        host: smtp.example.com
      content: {subject: s, body: b}
  expected:
    dingding:
      url: {value: "https://oapi.dingtalk.com/robot/send"}
      message: {markdown: {title: Deployed, text: "**done**"}, at: {isAtAll: true}, msgtype: text}
    slack:
      url: {value: "https://hooks.slack.com/services/x"}
      message:
        text: fallback
        blocks:
          - type: section
            text: {type: mrkdwn, text: "*Deployed*"}
            accessory: {type: button, text: {type: plain_text, text: Open}, url: "https://example.com"}
    email:
      from:
        address: vela@example.com
        password: {secretRef: {name: smtp, key: password}}
        host: smtp.example.com
        port: 587
      to: []
      content: {subject: s, body: b}
- step: request
  properties: {url: "https://api.github.com/repos/kubevela/workflow"}
  expected: {url: "https://api.github.com/repos/kubevela/workflow", method: GET}
- step: request
  properties:
    {url: "https://example.com/api", method: POST, body: {name: vela}, header: {Authorization: Bearer x}}
- step: print-message-in-status
  properties:
    message: "All addons have been enabled successfully, you can use 'vela addon list' to check them."
- step: depends-on-app
  properties: {name: fluxcd, namespace: vela-system}
- step: create-config
  properties: {name: test, config: {key1: value1, key2: 2, key3: true, key4: {key5: value5}}}
- step: create-config
  properties: {name: test}
  expected: {name: test, config: {}}
- step: read-config
  properties: {name: test}
- step: list-config
  properties: {template: test}
- step: delete-config
  properties: {name: test}
- step: export2config
  properties: {configName: my-configmap, data: {testkey: testvalue}}
  expected: {configName: my-configmap, data: {testkey: testvalue}, cluster: ""}
- step: export2secret
  properties: {secretName: image-secret, kind: docker-registry, dockerRegistry: {username: u, password: p}}
  expected:
    secretName: image-secret
    kind: docker-registry
    dockerRegistry: {username: u, password: p, server: "https://index.docker.io/v1/"}
    data: {}
    cluster: ""
- step: export-data
  properties: {topology: all}
  expected: {topology: all, kind: ConfigMap, data: {}}
- step: collect-service-endpoints
  properties: {}
  expected: {protocal: http}
- step: collect-service-endpoints
  properties: {components: [web], port: 80, outer: true, protocal: https}
- step: apply-application
  properties: {}
- step: apply-remaining
  properties: {exceptions: [server1]}
- step: deploy2runtime
  properties: {}
- step: deploy2runtime
  properties: {clusters: [cluster-a, cluster-b]}
- step: deploy2env
  properties: {policy: example-multi-env-policy, env: staging}
  expected: {policy: example-multi-env-policy, env: staging, parallel: false}
- step: build-push-image
  properties:
    context: {git: github.com/FogDong/simple-web-demo, branch: main}
    image: fogdong/simple-web-demo:v1
    credentials: {image: {name: image-secret}}
  expected:
    context: {git: github.com/FogDong/simple-web-demo, branch: main}
    image: fogdong/simple-web-demo:v1
    credentials: {image: {name: image-secret, key: .dockerconfigjson}}
    kanikoExecutor: oamdev/kaniko-executor:v1.9.1
    dockerfile: ./Dockerfile
    verbosity: info
    cluster: ""
- step: clean-jobs
  properties: {labelselector: {my-label: my-value}}
  expected: {labelselector: {my-label: my-value}, cluster: ""}
- step: vela-cli
  properties: {command: [vela, addon, enable, fluxcd]}
  expected:
    command: [vela, addon, enable, fluxcd]
    image: oamdev/vela-cli:v1.6.4
    serviceAccountName: kubevela-vela-core
- step: apply-application-in-parallel
  properties: {}
- step: export-service
  properties: {name: my-svc, ip: 10.0.0.3, port: 80, targetPort: 8080, topology: all}
- step: apply-deployment
  properties: {image: nginx, cmd: [nginx, -g, daemon off;]}
  expected: {image: nginx, cmd: [nginx, -g, daemon off;], replicas: 1, cluster: ""}
- step: generate-jdbc-connection
  properties: {name: db-conn, namespace: prod}
""")

# A typical mistake per case, and the start of the message that must name the field.
INVALID: list[dict[str, Any]] = yaml.safe_load("""
- {policy: topology, properties: {clusters: local}, error: "clusters: expected array, got 'local'"}
- {policy: topology, properties: {cluster: [local]}, error: "cluster: unknown field"}
- policy: topology
  properties: {clusterLabelSelector: {replicas: 3}}
  error: "clusterLabelSelector.replicas: expected string"
- policy: override
  properties: {components: [{traits: [{properties: {replicas: 3}}]}]}
  error: "components[0].traits[0].type: required field is missing"
- {policy: override, properties: {components: {name: nginx}}, error: "components: expected array"}
- policy: garbage-collect
  properties: {rules: [{selector: {traitTypes: [expose]}, strategy: onDelete}]}
  error: "rules[0].strategy: expected one of 'onAppUpdate', 'onAppDelete', 'never', got 'onDelete'"
- policy: garbage-collect
  properties: {rules: [{strategy: never}]}
  error: "rules[0].selector: required field is missing"
- policy: garbage-collect  # not KubeVela's: its policy has no application-wide orphan switch
  properties: {onAppDelete: orphan}
  error: "onAppDelete: unknown field"
- policy: garbage-collect  # KubeVela's orphan propagation: Vessel cannot honour it, so it refuses it
  properties: {rules: [{selector: {componentNames: [orphan-gc]}, propagation: orphan}]}
  error: "rules[0].propagation: expected one of 'cascading', got 'orphan'"
- {policy: apply-once, properties: {enable: "true"}, error: "enable: expected boolean, got 'true'"}
- policy: apply-once
  properties: {rules: [{selector: {}}]}
  error: "rules[0].strategy: required field is missing"
- policy: read-only
  properties: {rules: [{selector: {resourceType: [Deployment]}}]}
  error: "rules[0].selector.resourceType: unknown field"
- {policy: take-over, properties: {rules: [{}]}, error: "rules[0].selector: required field is missing"}
- policy: shared-resource
  properties: {rules: [{selector: {resourceTypes: Namespace}}]}
  error: "rules[0].selector.resourceTypes: expected array"
- {step: deploy, properties: {policies: topology-local}, error: "policies: expected array"}
- {step: deploy, properties: {parallelism: "5"}, error: "parallelism: expected integer, got '5'"}
- {step: apply-component, properties: {}, error: "component: required field is missing"}
- {step: apply-object, properties: {cluster: local}, error: "value: required field is missing"}
- {step: read-object, properties: {kind: ConfigMap}, error: "name: required field is missing"}
- {step: suspend, properties: {duration: 30}, error: "duration: expected string, got 30"}
- {step: step-group, properties: {subSteps: []}, error: "subSteps: unknown field"}
- {step: webhook, properties: {url: "https://hooks.example.com/x"}, error: "url: expected object"}
- {step: webhook, properties: {data: {}}, error: "url: required field is missing"}
- step: notification
  properties: {slack: {url: {value: x}, message: {text: hi, mrkdwn: "yes"}}}
  error: "slack.message.mrkdwn: expected boolean"
- step: notification
  properties: {dingding: {url: {value: x}, message: {msgtype: image}}}
  error: "dingding.message.msgtype: expected one of"
- step: notification
  properties:
    email: {from: {address: a@b.c, password: {value: x}}, to: [d@e.f], content: {subject: s, body: b}}
  error: "email.from.host: required field is missing"
- {step: notification, properties: {teams: {}}, error: "teams: unknown field"}
- step: request
  properties: {url: x, method: PATCH}
  error: "method: expected one of 'GET', 'POST', 'PUT', 'DELETE', got 'PATCH'"
- {step: request, properties: {url: x, header: {X-Retry: 3}}, error: "header.X-Retry: expected string"}
- {step: print-message-in-status, properties: {}, error: "message: required field is missing"}
- {step: depends-on-app, properties: {name: fluxcd}, error: "namespace: required field is missing"}
- {step: create-config, properties: {config: {a: b}}, error: "name: required field is missing"}
- {step: create-config, properties: {name: x, config: [a]}, error: "config: expected object"}
- {step: read-config, properties: {namespace: x}, error: "name: required field is missing"}
- {step: list-config, properties: {}, error: "template: required field is missing"}
- {step: delete-config, properties: {name: x, cluster: y}, error: "cluster: unknown field"}
- {step: export2config, properties: {data: {a: b}}, error: "configName: required field is missing"}
- {step: export2config, properties: {configName: c, data: {port: 80}}, error: "data.port: expected string"}
- {step: export2secret, properties: {secretName: s, kind: tls}, error: "kind: expected one of"}
- {step: export-data, properties: {kind: Deployment}, error: "kind: expected one of"}
- {step: collect-service-endpoints, properties: {port: "80"}, error: "port: expected integer"}
- {step: apply-application, properties: {component: x}, error: "component: unknown field"}
- {step: apply-remaining, properties: {exceptions: server1}, error: "exceptions: expected array"}
- {step: deploy2runtime, properties: {clusters: local}, error: "clusters: expected array"}
- {step: deploy2env, properties: {policy: p}, error: "env: required field is missing"}
- {step: build-push-image, properties: {context: ., image: ""}, error: "image: "}
- {step: build-push-image, properties: {image: x}, error: "context: required field is missing"}
- {step: clean-jobs, properties: {labelselector: {a: 1}}, error: "labelselector.a: expected string"}
- {step: vela-cli, properties: {command: vela}, error: "command: expected array"}
- {step: apply-application-in-parallel, properties: {parallel: true}, error: "parallel: unknown field"}
- {step: export-service, properties: {ip: 10.0.0.3, port: 80}, error: "targetPort: required field is missing"}
- {step: apply-deployment, properties: {image: nginx, replicas: "2"}, error: "replicas: expected integer"}
- {step: generate-jdbc-connection, properties: {namespace: prod}, error: "name: required field is missing"}
""")


def _definition(case: dict[str, Any]) -> Definition:
    kind, name = (Kind.POLICY, case["policy"]) if "policy" in case else (Kind.WORKFLOW_STEP, case["step"])
    found = {(d.kind, d.name): d for d in builtin_definitions()}
    assert (kind, name) in found, f"no built-in {kind.noun} {name!r}"
    return found[(kind, name)]


def _resolve(case: dict[str, Any]) -> dict[str, Any]:
    return _definition(case).parameters.resolve(case["properties"], lambda p: Location(path=format_path(p)))


def _id(case: dict[str, Any]) -> str:
    return case.get("policy") or case["step"]


@pytest.mark.parametrize("case", VALID, ids=_id)
def test_kubevela_example_is_accepted_with_defaults(case: dict[str, Any]) -> None:
    assert _resolve(case) == case.get("expected", case["properties"])


@pytest.mark.parametrize("case", INVALID, ids=_id)
def test_mistake_is_rejected_naming_the_field(case: dict[str, Any]) -> None:
    with pytest.raises(VesselError) as err:
        _resolve(case)
    assert case["error"] in str(err.value)


@pytest.mark.parametrize(("kind", "name"), NAMES, ids=[n for _, n in NAMES])
def test_parameters_only_definition_is_built_in_and_covered(kind: Kind, name: str) -> None:
    key = "policy" if kind is Kind.POLICY else "step"
    definition = _definition({key: name})
    assert definition.templates == {} and definition.description
    assert any(c.get(key) == name for c in VALID) and any(c.get(key) == name for c in INVALID)
