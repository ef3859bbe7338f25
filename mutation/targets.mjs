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
  "rollout-state": {
    mutate: ["packages/rollout-state/src/transitions/*.ts"],
    tests: ["packages/rollout-state/test/**/*.test.ts"],
    skipTests: [
      "packages/rollout-state/test/crash-safety.test.ts",
      "packages/rollout-state/test/multi-process.test.ts",
    ],
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
