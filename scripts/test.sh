#!/usr/bin/env bash
# Install (idempotent) and run the whole test suite with the real model and real SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
HF_HUB_OFFLINE=1 .venv/bin/python -m pytest "$@"
