"""Helm charts as components: the `helmchart` component type.

A chart is rendered *directly* into the objects it describes (as `helm template` would), and those objects
are delivered, inventoried, pruned and health-checked like every other resource of the component: there is
no Helm release, no release Secret and no FluxCD between Vessel and the target (KubeVela's `helmchart` is
backed by FluxCD's HelmRelease; Vessel's renders what that release would install). docs/helm.md is the
user's guide and lists the differences from KubeVela.

Why these modules, in this layer:

* Go templates are rendered by Helm itself — the official Go SDK compiled into a shared library and
  shipped as a wheel (`helm-python-sdk`, the `vessel[helm]` extra): there is no credible pure-Python
  renderer of Go templates and Sprig, and no `helm` binary is needed. The core stays light: without the
  extra, `vessel def show helmchart` and any render of a `helmchart` component say how to enable it.
* A chart, its repository's index and its values are untrusted input, so everything that touches them —
  downloading, choosing the version, loading the archive, rendering — runs in a child process
  (`renderer.py`) under a CPU-time, memory and wall-clock cap (`sandbox.py`, `limits.py`), and only the
  rendered text comes back, size-capped, to be parsed here by Vessel's strict YAML reader.
* The child only ever connects to the repository the user named (same scheme, host and port: the index's
  archive URLs and any redirect are held to it), and Helm renders offline (`lookup` finds nothing).

The package sits above `render` (it reuses its table of cluster-scoped kinds) and below everything that
delivers; `vessel.helm.definition` is registered through the `vessel.definitions` entry point, like any
plugin, and imports nothing of the extra until a chart is rendered.
"""
