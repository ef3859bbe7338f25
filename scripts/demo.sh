#!/usr/bin/env bash
# The main job from a fresh clone: installs what it needs (Node 22, pnpm,
# dependencies), builds, and runs `agent-canary demo` on embedded defaults
# (no servers). Extra arguments go to the demo, e.g. --scenario healthy.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/bin:$PATH"
bash scripts/bootstrap.sh
exec node packages/cli/dist/bin.js demo "$@"
