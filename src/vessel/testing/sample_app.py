"""The application the delivery benchmarks and their statement-count test deliver, many times over.

Three components — a webservice with a Service and a scaler, a second webservice, a worker — make four
objects. Each copy `i` has a namespace of its own: copies sharing one would render the same object
names, and all but the first would fail rather than overwrite each other's objects.
"""

from __future__ import annotations

OBJECTS_PER_APP = 4  # frontend Deployment + Service, backend and jobs Deployments

_APP = """\
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: app-{i}, namespace: ns-{i}}}
spec:
  components:
    - name: frontend
      type: webservice
      properties: {{image: "registry.example.com/frontend:{i}", ports: [{{port: 8080, expose: true}}]}}
      traits: [{{type: scaler, properties: {{replicas: 2}}}}]
    - name: backend
      type: webservice
      properties: {{image: "registry.example.com/backend:{i}", cpu: "250m"}}
    - name: jobs
      type: worker
      properties: {{image: "registry.example.com/jobs:{i}"}}
"""


def sample_app(i: int, policies: str = "") -> str:
    """Copy `i` of the application as YAML; `policies`, if given, is its `spec.policies` block
    (indented two spaces, as under `spec:`)."""
    return _APP.format(i=i) + policies
