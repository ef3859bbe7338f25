#!/usr/bin/env bash
# Packs every published package (each one whose package.json is not "private")
# into a tarball, as `pnpm -r publish` would upload it: workspace:* ranges become
# the real versions. Builds first unless --no-build.
#   bash scripts/pack.sh [--no-build] [out-dir]      (default out-dir: .packs)
# Prints the tarballs' paths, one a line.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/bin:$PATH"
build=1
if [[ "${1:-}" == "--no-build" ]]; then build=0; shift; fi
out="$(realpath -m "${1:-.packs}")"
if [[ $build == 1 ]]; then pnpm -s build; fi
mkdir -p "$out"
rm -f "$out"/*.tgz
dirs="$(node --input-type=module -e 'import { publishedPackageDirs } from "./scripts/package-metadata.mjs"; console.log(publishedPackageDirs().join("\n"))')"
for dir in $dirs; do
  if [[ ! -f "$dir/dist/index.js" ]]; then
    echo "pack.sh: $dir/dist/index.js is missing; build first (pnpm -s build, or run without --no-build)" >&2
    exit 1
  fi
  (cd "$dir" && pnpm pack --pack-destination "$out" >/dev/null)
done
ls "$out"/*.tgz
