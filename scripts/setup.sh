#!/usr/bin/env bash
# Create .venv (if needed) and install the locked dependencies and Vessel itself into it.
# Sourced by demo.sh and test.sh; safe to run again (it reinstalls only when the lock file changed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.vessel-installed
if [ ! -f "$stamp" ] || [ requirements.lock -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
  touch "$stamp"
fi
# redis-server, for the built-in `redis` addon and its tests (Debian's package; only when it is missing,
# and only where we may install: as root with apt-get). Without it those tests are skipped.
if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null \
      || echo "setup: could not install redis-server; the redis addon's tests will be skipped" >&2
  else
    echo "setup: redis-server is not installed (apt-get install redis-server); the redis addon's tests will be skipped" >&2
  fi
fi
# chromium, for the dashboard's browser tests (Playwright for Python drives Debian's package; Playwright's
# own browser downloads are never used). Only when it is missing, and only as root with apt-get.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null \
      || echo "setup: could not install chromium; the dashboard's browser tests will be skipped" >&2
  else
    echo "setup: chromium is not installed (apt-get install chromium); the dashboard's browser tests will be skipped" >&2
  fi
fi
