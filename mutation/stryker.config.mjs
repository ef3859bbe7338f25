// StrykerJS for one package at a time: scripts/mutation.sh sets
// AGENT_CANARY_MUTATION_PACKAGE and, to narrow a run, passes --mutate.
import { targetFor } from "./targets.mjs";

const packageName = process.env.AGENT_CANARY_MUTATION_PACKAGE;
if (!packageName) throw new Error("AGENT_CANARY_MUTATION_PACKAGE is not set: run scripts/mutation.sh <package>");
const target = targetFor(packageName);

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "mutation/vitest.config.ts", related: true },
  mutate: target.mutate,
  // Only the tests that reach a mutant run for it (vitest's per-test coverage).
  coverageAnalysis: "perTest",
  // The machine has 2 cores shared with other work; AGENT_CANARY_MUTATION_CONCURRENCY overrides.
  concurrency: Number(process.env.AGENT_CANARY_MUTATION_CONCURRENCY ?? 2),
  // A busy machine slows tests a lot; a mutant counts as a timeout (killed) only well past
  // its normal run, so load does not pass for a killed mutant.
  timeoutMS: 30_000,
  timeoutFactor: 2.5,
  dryRunTimeoutMinutes: 20,
  // Built output, results and reports are not needed in the sandbox.
  // Anchored at the root: gate-rules has a src/dashboards/ the sandbox needs.
  ignorePatterns: ["**/dist", "/reports", "/bench/results", "/dashboards", "coverage", ".vitest-report.json"],
  reporters: ["clear-text", "progress", "json"],
  // scripts/mutation.sh names the report and the incremental file: <package>.narrowed.* for a
  // narrowed run, so it never replaces what the last full run wrote.
  jsonReporter: { fileName: process.env.AGENT_CANARY_MUTATION_REPORT || `reports/mutation/${packageName}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: false },
  // Each run makes its own sandbox-* directory in here and removes only that one (and the
  // directory once empty), so runs of two packages can go on side by side.
  tempDirName: ".stryker-tmp",
  // Stryker's incremental mode re-tests only mutants whose code or covering tests changed
  // since the last run of this target, reusing the rest; the file is per target so runs never
  // share results. AGENT_CANARY_MUTATION_INCREMENTAL=1 turns it on, =0 off (a full run, the
  // one whose figures are recorded); unset, the target's own `incremental` decides.
  incremental: incrementalMode(process.env.AGENT_CANARY_MUTATION_INCREMENTAL, target.incremental === true),
  incrementalFile: process.env.AGENT_CANARY_MUTATION_INCREMENTAL_FILE || `reports/mutation/${packageName}.incremental.json`,
  cleanTempDir: true,
};

/** Whether this run is incremental: the env's "1"/"0" wins over the target's setting. */
function incrementalMode(env, targetDefault) {
  if (env === undefined || env === "") return targetDefault;
  if (env === "1" || env === "0") return env === "1";
  throw new Error(`AGENT_CANARY_MUTATION_INCREMENTAL=${env}: use 1 (re-test only what changed) or 0 (a full run)`);
}
