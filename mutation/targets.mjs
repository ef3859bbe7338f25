// What scripts/mutation.sh mutates per package, and with which tests.
// `mutate`: the package's core modules (globs relative to the repo root).
// `tests`: the package's own test files. `skipTests`: test files that cannot see a
// mutant because they spawn `node` on a built dist/ or a fixture that imports it;
// Stryker's mutants live in the sandbox's TypeScript sources, so those tests would
// only cost time (they run unmutated code and always pass).
export const TARGETS = {
  conventions: {
    mutate: ["packages/conventions/src/routing.ts", "packages/conventions/src/version.ts", "packages/conventions/src/strata.ts"],
    tests: ["packages/conventions/test/**/*.test.ts"],
    skipTests: [],
  },
  // The transitions only. The store tests (file, Redis, crash, multi-process) are left out:
  // they reach the transitions only through seeding, and under Stryker's instrumentation
  // on a loaded machine the FileStore contention test misses its 10 s lock wait, which
  // Stryker would count as a killed mutant. The stores get their own run in phase 2.
  "rollout-state": {
    mutate: ["packages/rollout-state/src/transitions/*.ts"],
    tests: ["packages/rollout-state/test/transition*.test.ts"],
    skipTests: [],
  },
  // Routing, pinning and fail-closed handling, the loop detector and the price book.
  // The SDK stack tests (test/stacks/) are left out: they spawn node on dist/ or exercise
  // SDK patching, not these modules, and would double the run. register.test.ts is left out:
  // it waits on a 100 ms timer (issue 14) and fails under load, which Stryker would count as
  // killing a mutant. The three spawned tests run dist/.
  instrumentation: {
    mutate: [
      "packages/instrumentation/src/routing/*.ts",
      "packages/instrumentation/src/guards/loop-detector.ts",
      "packages/instrumentation/src/cost/price-book.ts",
      "packages/instrumentation/src/cost/dataset.ts",
    ],
    tests: ["packages/instrumentation/test/*.test.ts"],
    skipTests: [
      "packages/instrumentation/test/consumers.test.ts",
      "packages/instrumentation/test/otel-api.test.ts",
      "packages/instrumentation/test/readme-snippets.test.ts",
      "packages/instrumentation/test/register.test.ts",
    ],
  },
  // The receiver's auth: bearer token, Grafana HMAC signature, replay protection.
  // receiver-process.test.ts spawns the built CLI.
  receiver: {
    mutate: [
      "packages/rollout/src/receiver/auth.ts",
      "packages/rollout/src/receiver/grafana-signature.ts",
      "packages/rollout/src/receiver/replay-cache.ts",
    ],
    tests: ["packages/rollout/test/receiver-*.test.ts"],
    skipTests: ["packages/rollout/test/receiver-process.test.ts"],
  },
  // gate-rules config validation. presets.ts is data (tables of numbers) and is left out.
  "gate-rules-config": {
    mutate: [
      "packages/gate-rules/src/config/resolve.ts",
      "packages/gate-rules/src/config/schema.ts",
      "packages/gate-rules/src/config/duration.ts",
      "packages/gate-rules/src/config/environment.ts",
      "packages/gate-rules/src/config/load.ts",
    ],
    tests: ["packages/gate-rules/test/config*.test.ts"],
    skipTests: [],
  },
  // gate-rules statistics: the always-valid boundary and the per-test formulas the
  // evaluator and the PromQL are built from. The differential and simulation suites
  // (real Prometheus, Monte Carlo) are left out for run time; evaluator tests and the
  // stats property tests cover these files.
  "gate-rules-stats": {
    mutate: ["packages/gate-rules/src/stats/statistics/*.ts"],
    tests: ["packages/gate-rules/test/evaluator.test.ts", "packages/gate-rules/test/stats*.test.ts"],
    skipTests: [],
  },
};

/** The target for a package name, or an error that lists the known ones. */
export function targetFor(name) {
  const target = TARGETS[name];
  if (!target) {
    throw new Error(`no mutation target for package "${name}"; known: ${Object.keys(TARGETS).join(", ")} (add one to mutation/targets.mjs)`);
  }
  return target;
}
