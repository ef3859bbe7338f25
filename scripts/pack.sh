#!/usr/bin/env bash
# Packs every published package (each one whose package.json is not "private")
# into a tarball, as `pnpm -r publish` would upload it: workspace:* ranges become
# the real versions. First a clean build, so no output of a deleted source file
# ships; --no-build packs the dist/ folders as they are (the install test does).
#   bash scripts/pack.sh [--no-build] [out-dir]      (default out-dir: .packs)
# Prints the tarballs' paths, one a line.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/bin:$PATH"
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
build=1
if [[ "${1:-}" == "--no-build" ]]; then build=0; shift; fi
out="$(realpath -m "${1:-.packs}")"
dirs="$(node --input-type=module -e 'import { publishedPackageDirs } from "./scripts/package-metadata.mjs"; console.log(publishedPackageDirs().join("\n"))')"
if [[ $build == 1 ]]; then
  # tsc -b --clean forgets outputs of deleted sources; removing dist/ does not.
  for dir in $dirs; do rm -rf "$dir/dist" "$dir/tsconfig.tsbuildinfo"; done
  pnpm -s build
fi
mkdir -p "$out"
rm -f "$out"/*.tgz
for dir in $dirs; do
  if [[ ! -f "$dir/dist/index.js" ]]; then
    echo "pack.sh: $dir/dist/index.js is missing; build first (pnpm -s build, or run without --no-build)" >&2
    exit 1
  fi
  (cd "$dir" && pnpm pack --pack-destination "$out" >/dev/null)
done
ls "$out"/*.tgz
