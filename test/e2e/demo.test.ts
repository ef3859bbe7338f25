import { fileURLToPath } from "node:url";
import { runProcess, type ProcessRun } from "@agent-canary/testkit";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const BIN = fileURLToPath(new URL("../../packages/cli/dist/bin.js", import.meta.url));

/**
 * `agent-canary demo` as the README's first command, the built bin in a child
 * process (the demo registers OpenTelemetry globals and patches the openai
 * SDK; a process of its own keeps that out of the test).
 */
function runDemo(args: string[]): Promise<ProcessRun> {
  return runProcess(process.execPath, [BIN, "demo", ...args]);
}

const SummarySchema = z.object({
  ok: z.boolean(),
  scenarios: z.array(
    z.object({
      scenario: z.string(),
      outcome: z.string(),
      ok: z.boolean(),
      firedGates: z.array(z.string()),
      sessions: z.object({ baseline: z.number(), canary: z.number() }),
      drain: z
        .object({
          inFlightCanary: z.number(),
          inFlightOutcomes: z.record(z.string(), z.number()),
          routerSawRollback: z.boolean(),
          startedAfter: z.object({ baseline: z.number(), canary: z.number() }),
        })
        .optional(),
      problems: z.array(z.string()),
    }),
  ),
});

// Its command line (bad flags, --help, --stack without servers) is tested in packages/cli/test/commands.test.ts.
describe("e2e: agent-canary demo", () => {
  it("without servers rolls back the cost and loop regressions, drains their canary sessions, and promotes the identical canary", async () => {
    const result = await runDemo(["--json", "--seed", "5"]);
    if (result.code !== 0) console.error(result.stderr, result.stdout);
    expect(result.code).toBe(0);
    const summary = SummarySchema.parse(JSON.parse(result.stdout));
    const byName = Object.fromEntries(summary.scenarios.map((s) => [s.scenario, s]));
    for (const s of summary.scenarios) console.log(`demo ${s.scenario}: ${s.outcome} ${s.firedGates.join(",")} ${JSON.stringify(s.sessions)} drain ${JSON.stringify(s.drain ?? {})}`);

    expect(byName.cost?.outcome).toBe("rolled_back");
    // Either cost gate may be first: the mean (cost) and the geometric mean (typical_cost) both see a 2x canary.
    expect(byName.cost?.firedGates.length).toBeGreaterThan(0);
    expect(byName.cost?.firedGates.every((g) => g === "cost" || g === "typical_cost")).toBe(true);
    expect(byName.loop?.outcome).toBe("rolled_back");
    expect(byName.loop?.firedGates.some((g) => g === "loops" || g === "completion")).toBe(true);
    expect(byName.healthy).toMatchObject({ outcome: "promoted", firedGates: [] });
    for (const name of ["cost", "loop"]) {
      const drain = byName[name]?.drain;
      expect(drain?.routerSawRollback).toBe(true);
      expect(drain?.startedAfter.canary).toBe(0);
      expect(drain?.startedAfter.baseline).toBeGreaterThan(0);
      expect(drain?.inFlightOutcomes.drain_timeout ?? 0).toBe(0);
    }
    expect(summary.ok).toBe(true);
  });

  it("with --stack rolls the cost regression back on real Prometheus, Alertmanager, receiver and Redis", async () => {
    const result = await runDemo(["--stack", "--scenario", "cost", "--json", "--seed", "5"]);
    if (result.code !== 0) console.error(result.stderr, result.stdout);
    expect(result.code).toBe(0);
    const [cost] = SummarySchema.parse(JSON.parse(result.stdout)).scenarios;
    console.log(`demo --stack cost: ${cost?.outcome} ${cost?.firedGates.join(",")} ${JSON.stringify(cost?.sessions)}`);
    expect(cost).toMatchObject({ scenario: "cost", outcome: "rolled_back", ok: true });
    expect(cost?.drain).toMatchObject({ routerSawRollback: true, startedAfter: { canary: 0 } });
  });
});
