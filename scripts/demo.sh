#!/usr/bin/env bash
# Set up Vessel and run its main job on the bundled example: render the Application to Kubernetes manifests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
.venv/bin/vessel dry-run -f examples/hello/app.yaml
