#!/usr/bin/env bash
# Install, generate a realistic base of COUNT entries (default 1,000) in ./.demo, and search it
# by meaning: COUNT=10000 bash scripts/demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export REKALL_HOME="$PWD/.demo" REKALL_CONFIG="$PWD/.demo/config.toml"
rm -rf .demo
.venv/bin/rekall test generate --count "${COUNT:-1000}" --into-current
.venv/bin/rekall add bug "CORS fails on Safari" -t cors,safari -p webapp \
  -c "Safari drops cross-site cookies: call fetch with credentials: 'include'."
echo "\$ rekall search \"browser blocks cross-origin request\""
time .venv/bin/rekall search "browser blocks cross-origin request" --limit 5
.venv/bin/rekall stats --memory
