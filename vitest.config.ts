import { defineConfig } from "vitest/config";

// Tests run against the built packages (dist/), exactly as users consume them:
// `pnpm build` comes first (scripts/test.sh does it).
export default defineConfig({
  test: {
    include: [
      "packages/*/test/**/*.test.ts",
      "examples/*/test/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    pool: "forks",
    // A hang guard, not a speed assertion: integration tests start real servers.
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
