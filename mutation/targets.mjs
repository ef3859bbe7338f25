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
};

/** The target for a package name, or an error that lists the known ones. */
export function targetFor(name) {
  const target = TARGETS[name];
  if (!target) {
    throw new Error(`no mutation target for package "${name}"; known: ${Object.keys(TARGETS).join(", ")} (add one to mutation/targets.mjs)`);
  }
  return target;
}
