#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs Node 22, pnpm, the
# dependencies and the Debian servers (Prometheus, Alertmanager, Redis), builds,
# runs every test, and ends with one line: "N passed, N failed[, N skipped]".
# Extra arguments go to vitest (e.g. a path to run one package).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/bin:$PATH"
bash scripts/bootstrap.sh
bash scripts/install-servers.sh
report=".vitest-report.json"
rm -f "$report"
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
node scripts/test-summary.mjs "$report" || status=1
exit "$status"
