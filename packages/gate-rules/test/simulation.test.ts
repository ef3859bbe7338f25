import { describe, expect, it } from "vitest";
import { decidingTime, parseGatesConfig, sessionModel, simulateRollout, TYPICAL_AGENT, zipfShares, type RolloutSimulationResult } from "../src/index.js";

/**
 * A smoke of bench/src/decisions: simulated rollouts labelled as the agents
 * label them, through the rules' input layer (RolloutLedger), judged every
 * minute by the formulas the rules evaluate. The bench runs the same at scale.
 */
const recommended = parseGatesConfig("deployments: [a]\n");
const runs = (count: number, run: (seed: number) => RolloutSimulationResult) => Array.from({ length: count }, (_, i) => run(i + 1));

describe("simulated rollouts", () => {
  it("identical versions through the 60-hour medium plan, every gate every minute: no false hold or rollback", () => {
    const results = runs(8, (seed) => simulateRollout({ config: recommended, baseline: sessionModel(), canary: sessionModel(), traffic: 20, seed }));
    expect(results.filter((r) => r.firing).map((r) => r.firing?.gate)).toEqual([]);
    expect(results.every((r) => r.minutes === 60 * 60)).toBe(true);
  });

  it("a 2x-cost canary is rolled back by a cost gate in every run, at the 1% or 5% stage", () => {
    const results = runs(5, (seed) => simulateRollout({ config: recommended, baseline: sessionModel(), canary: sessionModel({ costMedianUsd: 0.08 }), traffic: 20, seed }));
    for (const r of results) {
      expect(["cost", "typical_cost"]).toContain(r.firing?.gate);
      expect(r.firing?.canaryPercent).toBeLessThanOrEqual(5);
    }
  });

  it("an identical canary passes its cost gates, near the time decidingTime plans for", () => {
    const stages = [{ percent: 5, minDurationSeconds: 24 * 3600, minSessionsPerArm: 0 }, { percent: 100, minDurationSeconds: 0, minSessionsPerArm: 0 }];
    const results = runs(6, (seed) => simulateRollout({ config: recommended, baseline: sessionModel(), canary: sessionModel(), traffic: 20, seed, stages, gates: ["typical_cost"], untilEnd: true }));
    const hours = results.map((r) => (r.passed.get("typical_cost")?.minute ?? Number.POSITIVE_INFINITY) / 60).sort((a, b) => a - b);
    const gate = recommended.gates.find((g) => g.name === "typical_cost");
    if (!gate) throw new Error("no typical_cost gate");
    const sigma = TYPICAL_AGENT.costSigma;
    const plan = decidingTime(gate, { canaryPerHour: 60, baselinePerHour: 1140 }, { mean: 0, variance: sigma * sigma }, { outcome: "passing" });
    const median = hours[Math.floor(hours.length / 2)] ?? Number.NaN;
    expect(median).toBeGreaterThan(plan.hours / 2);
    expect(median).toBeLessThan(plan.hours * 2);
  });

  it("tenant overrides stay out of the arms: a costly tenant forced to the canary does not fail an identical canary", () => {
    const shares = zipfShares(200, 0.26);
    const traffic = { perMinute: () => 40, tenants: { shares, overrides: new Map([[0, "canary" as const]]) } };
    const costly = sessionModel({ tenantCostSigma: 1 });
    const results = runs(4, (seed) => simulateRollout({ config: recommended, baseline: costly, canary: costly, traffic, seed, gates: ["cost", "typical_cost"] }));
    expect(results.filter((r) => r.firing)).toEqual([]);
  });

  it("a rollout held past the look-back moves to the next span, whose boundary is higher", () => {
    const short = parseGatesConfig("deployments: [a]\nlookback: 1h\n");
    const stages = [{ percent: 25, minDurationSeconds: 3 * 3600, minSessionsPerArm: 0 }, { percent: 100, minDurationSeconds: 0, minSessionsPerArm: 0 }];
    const result = simulateRollout({ config: short, baseline: sessionModel(), canary: sessionModel(), traffic: 20, seed: 3, stages, untilEnd: true });
    expect(result.ledger.span).toBe(3);
    expect(result.firing).toBeUndefined();
  });
});
