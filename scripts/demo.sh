#!/usr/bin/env bash
# Set up Vessel and run its main job: deliver examples/hello to this machine (two replicas of a small
# Python HTTP service behind one endpoint), show its status, and ask the endpoint.
# State goes to $VESSEL_HOME (default: .vessel-demo in this checkout). Stop it with:
#   VESSEL_HOME=.vessel-demo .venv/bin/vessel delete hello
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
export VESSEL_HOME="${VESSEL_HOME:-$PWD/.vessel-demo}"
.venv/bin/vessel up -f examples/hello/app.yaml --timeout 2m
.venv/bin/vessel status hello
url=$(.venv/bin/vessel status hello -o json | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["services"][0]["endpoint"])')
echo
echo "hello is at $url — asking it twice (two replicas answer in turn):"
for _ in 1 2; do .venv/bin/python -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode().strip())' "$url"; done
echo
echo "stop it with: VESSEL_HOME=$VESSEL_HOME .venv/bin/vessel delete hello"
