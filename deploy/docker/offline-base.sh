#!/usr/bin/env bash
# For machines that reach Debian's packages and the npm registry but no image registry (this
# project's development and CI machines): builds a local stand-in for node:22-bookworm-slim,
# a Debian bookworm minbase root filesystem (debootstrap) plus this machine's Node 22 and npm
# in /usr/local and the user node (uid 1000), and imports it as
# localhost/node:22-bookworm-slim. Then build the real Dockerfile unchanged:
#   bash deploy/docker/build.sh agent-canary:0.1.0 --build-arg NODE_IMAGE=localhost/node:22-bookworm-slim
# Needs root, debootstrap and podman (Debian: apt-get install debootstrap podman).
set -euo pipefail
export PATH="/usr/local/bin:$PATH"
say() { printf '\033[1m[base]\033[0m %s\n' "$*" >&2; }
tag="${1:-localhost/node:22-bookworm-slim}"
node_bin="$(command -v node)"
[[ "$("$node_bin" --version)" == v22.* ]] || { say "need Node 22 on PATH, found $("$node_bin" --version)"; exit 1; }
npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
[[ -f "$npm_dir/package.json" ]] || { say "cannot find npm's package directory from $(command -v npm)"; exit 1; }

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
say "debootstrap bookworm (minbase) into $root"
debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
install -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
versions="node $(chroot "$root" /usr/local/bin/node --version), npm $(chroot "$root" /usr/local/bin/npm --version 2>/dev/null)"
say "importing as $tag ($versions)"
tar -C "$root" -c . | podman import --change 'CMD ["node"]' - "$tag" >/dev/null
