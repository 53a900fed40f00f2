#!/usr/bin/env bash
# Runs the whole pycalico test suite: import-layer contracts, then pytest (unit, golden CLI,
# real etcd, network namespaces, real BGP daemons). Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
# The suite installs its prerequisites, so a missing one is a failure here, never a skip.
export CI="${CI:-true}"
bash tools/install.sh
.venv/bin/lint-imports
exec .venv/bin/python -m pytest "$@"
