#!/usr/bin/env bash
# Mutation testing of one package's core modules with StrykerJS and the package's own
# tests (vitest, on the TypeScript sources). Prints the score and every surviving
# mutant, and updates the package's section of bench/results/mutation.md.
#
#   bash scripts/mutation.sh <package> [files...]
#     package  a key of mutation/targets.mjs (conventions, rollout-state, ...)
#     files    narrow the run to these source files (default: the package's core modules);
#              a narrowed run prints its summary but does not touch mutation.md
#
# Slow (minutes per package on 2 cores) and therefore not part of the default test run.
# Env: AGENT_CANARY_MUTATION_CONCURRENCY (default 2) workers; AGENT_CANARY_MUTATION_INCREMENTAL=1
# re-tests only the mutants whose code or tests changed since the target's last run, =0 forces a
# full run (unset: the target's `incremental` setting decides).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/bin:$PATH"

if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit $(( $# < 1 ? 2 : 0 ))
fi
package="$1"
shift
export AGENT_CANARY_MUTATION_PACKAGE="$package"
# Fails early, naming the known packages, if there is no target for this one.
node -e 'import("./mutation/targets.mjs").then((m) => m.targetFor(process.argv[1])).catch((e) => { console.error(`mutation: ${e.message}`); process.exit(2); })' "$package"

args=(run mutation/stryker.config.mjs)
record=true
if [[ $# -gt 0 ]]; then
  args+=(--mutate "$(IFS=,; echo "$*")")
  record=false
fi
mkdir -p reports/mutation
report="reports/mutation/$package.json"
rm -f "$report"

started=$(date +%s)
status=0
pnpm exec stryker "${args[@]}" || status=$?
elapsed=$(( $(date +%s) - started ))
if [[ ! -f "$report" ]]; then
  echo "mutation: Stryker wrote no report ($report); exit status $status" >&2
  exit 1
fi
summary=(node mutation/summary.mjs --package "$package" --report "$report" --seconds "$elapsed")
if $record; then summary+=(--write bench/results/mutation.md); fi
"${summary[@]}"
exit "$status"
