#!/usr/bin/env bash
# Set up Vessel and run everything CI runs: ruff, mypy --strict, and the full test suite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
.venv/bin/mypy
# Two test processes (the machines have two cores); VESSEL_TEST_WORKERS=0 runs in this process alone.
.venv/bin/python -m pytest -n "${VESSEL_TEST_WORKERS:-2}" "$@"
