#!/usr/bin/env bash
# Builds the agent-canary CLI image from this checkout: packs the CLI and every workspace
# package it depends on (pnpm pack turns workspace:* into versions), then builds
# deploy/docker/Dockerfile with podman, buildah or docker, whichever is installed.
#   bash deploy/docker/build.sh [image-tag] [extra build args...]
# e.g. bash deploy/docker/build.sh agent-canary:0.1.0 --build-arg NODE_IMAGE=localhost/node:22-bookworm-slim
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/usr/local/bin:$PATH"
say() { printf '\033[1m[image]\033[0m %s\n' "$*" >&2; }
tag="${1:-agent-canary:0.1.0}"
shift || true

engine=""
for candidate in podman buildah docker; do
  if command -v "$candidate" >/dev/null 2>&1; then engine="$candidate"; break; fi
done
[[ -n "$engine" ]] || { say "no podman, buildah or docker on PATH: install one (Debian: apt-get install podman)"; exit 1; }

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/packages"
# The CLI and its workspace dependencies, transitively, as package directories.
mapfile -t dirs < <(node --input-type=module -e '
  import { readFileSync, readdirSync, existsSync } from "node:fs";
  const byName = new Map();
  for (const root of ["packages", "examples"]) for (const d of readdirSync(root)) {
    const file = `${root}/${d}/package.json`;
    if (existsSync(file)) byName.set(JSON.parse(readFileSync(file, "utf8")).name, `${root}/${d}`);
  }
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    const pkg = JSON.parse(readFileSync(`${byName.get(name)}/package.json`, "utf8"));
    for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) if (String(range).startsWith("workspace:")) visit(dep);
  };
  visit("@agent-canary/cli");
  for (const name of seen) console.log(byName.get(name));
')
say "building the packages ($engine will build $tag)"
pnpm -s build
for dir in "${dirs[@]}"; do
  (cd "$dir" && pnpm pack --pack-destination "$context/packages" >/dev/null)
done
say "packed: $(cd "$context/packages" && ls | tr '\n' ' ')"
cp deploy/docker/Dockerfile "$context/Dockerfile"
# Host networking: npm fetches the packages' registry dependencies during the build.
case "$engine" in
  podman) podman build --network host -t "$tag" "$@" "$context" ;;
  buildah) buildah bud --network host -t "$tag" "$@" "$context" ;;
  docker) docker build --network host -t "$tag" "$@" "$context" ;;
esac
say "built $tag"
