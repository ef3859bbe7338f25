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
# Reports: reports/mutation/<package>.json (a full run) or <package>.narrowed.json (a narrowed
# one), so a narrowed run never replaces the report of the last full run; the same for Stryker's
# incremental file (<package>[.narrowed].incremental.json; a narrowed run starts from a copy of the
# full run's, so it still re-tests only what changed, and writes only its own).
# Slow (minutes per package on 2 cores) and therefore not part of the default test run.
# Env: AGENT_CANARY_MUTATION_CONCURRENCY (default 2) workers; AGENT_CANARY_MUTATION_INCREMENTAL=1
# re-tests only the mutants whose code or tests changed since the target's last run, =0 forces a
# full run (unset: the target's `incremental` setting decides).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/bin:$PATH"

if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
  exit $(( $# < 1 ? 2 : 0 ))
fi
package="$1"
shift
export AGENT_CANARY_MUTATION_PACKAGE="$package"
# Fails early, naming the known packages, if there is no target for this one.
node -e 'import("./mutation/targets.mjs").then((m) => m.targetFor(process.argv[1])).catch((e) => { console.error(`mutation: ${e.message}`); process.exit(2); })' "$package"

args=(run mutation/stryker.config.mjs)
record=true
name="$package"
if [[ $# -gt 0 ]]; then
  args+=(--mutate "$(IFS=,; echo "$*")")
  record=false
  name="$package.narrowed"
fi
mkdir -p reports/mutation
# mutation/stryker.config.mjs reads these two.
export AGENT_CANARY_MUTATION_REPORT="reports/mutation/$name.json"
export AGENT_CANARY_MUTATION_INCREMENTAL_FILE="reports/mutation/$name.incremental.json"
full_incremental="reports/mutation/$package.incremental.json"
if ! $record && [[ -f "$full_incremental" ]]; then cp "$full_incremental" "$AGENT_CANARY_MUTATION_INCREMENTAL_FILE"; fi
rm -f "$AGENT_CANARY_MUTATION_REPORT"
echo "mutation: $package$($record || echo " narrowed to $*"); report $AGENT_CANARY_MUTATION_REPORT"

started=$(date +%s)
status=0
# The workspace's Stryker (what `pnpm exec stryker` runs), called by path.
node_modules/.bin/stryker "${args[@]}" || status=$?
elapsed=$(( $(date +%s) - started ))
if [[ ! -f "$AGENT_CANARY_MUTATION_REPORT" ]]; then
  echo "mutation: Stryker wrote no report ($AGENT_CANARY_MUTATION_REPORT); exit status $status" >&2
  exit 1
fi
summary=(node mutation/summary.mjs --package "$package" --report "$AGENT_CANARY_MUTATION_REPORT" --seconds "$elapsed")
if $record; then summary+=(--write bench/results/mutation.md); fi
"${summary[@]}"
exit "$status"
