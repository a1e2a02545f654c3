#!/usr/bin/env bash
# Install (idempotent) and run the whole test suite with the real model and real SQLite.
# VENV picks the virtual environment (default .venv), PYTHON the interpreter that creates it.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
export VENV
bash scripts/install.sh
HF_HUB_OFFLINE=1 "$VENV/bin/python" -m pytest "$@"
