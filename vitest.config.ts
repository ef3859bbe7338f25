import { defineConfig } from "vitest/config";

// Tests import each workspace package through its "@agent-canary/source" export
// condition, so they run the TypeScript sources: a change is tested without a
// rebuild. Tests that spawn `node` on a package (the CLI, consumer fixtures) run
// the built dist/ as users do, so `pnpm build` still comes first (scripts/test.sh).
const SOURCE_CONDITION = "@agent-canary/source";

export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION], externalConditions: [] } },
  test: {
    include: [
      "packages/*/test/**/*.test.ts",
      "examples/*/test/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    pool: "forks",
    // Workspace packages must go through Vite to be resolved by the condition above.
    server: { deps: { inline: [/@agent-canary\//] } },
    // A hang guard, not a speed assertion: integration tests start real servers.
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
