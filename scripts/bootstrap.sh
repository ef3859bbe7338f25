#!/usr/bin/env bash
# Makes a fresh clone runnable: Node >= 22.15, pnpm 9, dependencies, build.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/bin:$PATH"
say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }

node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=15)?0:1)'
}

if ! node_ok; then
  say "Node $(node --version 2>/dev/null || echo none) is older than 22.15; installing Node 22 from the npm registry into /usr/local"
  # --prefix: a plain `npm i -g node@22` collides with the system node's files.
  npm install --global --prefix /usr/local --no-fund --no-audit node@22 >&2
  hash -r
  node_ok || { say "Node 22 install failed; install Node >= 22.15 yourself and re-run"; exit 1; }
fi
say "node $(node --version)"

if ! command -v pnpm >/dev/null 2>&1 || [[ "$(pnpm --version)" != 9.* ]]; then
  say "installing pnpm 9 (corepack is not used: its registry signature check fails here)"
  npm install --global --prefix /usr/local --no-fund --no-audit pnpm@9 >&2
  hash -r
fi
say "pnpm $(pnpm --version)"

say "installing dependencies"
pnpm install --frozen-lockfile --reporter=append-only >&2
say "building"
pnpm run --silent build >&2
