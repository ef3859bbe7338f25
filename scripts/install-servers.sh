#!/usr/bin/env bash
# Installs the real servers the integration tests run: Prometheus + promtool,
# Alertmanager + amtool, Redis, and VictoriaMetrics + vmalert (the generated rules
# on a second engine), from Debian's packages. Needs root (or sudo).
# The tests start their own instances on free loopback ports; nothing here
# starts a service.
set -euo pipefail
say() { printf '\033[1m[servers]\033[0m %s\n' "$*" >&2; }

missing=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || command -v alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v victoria-metrics >/dev/null 2>&1 && command -v vmalert >/dev/null 2>&1 || missing+=(victoria-metrics)

if ((${#missing[@]} == 0)); then
  say "prometheus, alertmanager, redis-server and victoria-metrics are installed"
  exit 0
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
say "installing ${missing[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
say "installed: $(prometheus --version 2>&1 | head -1)"
