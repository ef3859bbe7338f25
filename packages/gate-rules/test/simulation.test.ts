import { describe, expect, it } from "vitest";
import { fixedSampleSize, parseGatesConfig, sessionModel, simulateRollout, type RolloutSimulationResult } from "../src/index.js";

/**
 * Simulated rollouts: these are the claims STATISTICS.md makes, at a smaller
 * number of runs (seeds are fixed, so the outcome is repeatable).
 */
const recommended = parseGatesConfig("deployments: [a]\n");

function runs(count: number, run: (seed: number) => RolloutSimulationResult): RolloutSimulationResult[] {
  return Array.from({ length: count }, (_, i) => run(i + 1));
}

describe("identical versions (A/A)", () => {
  it("the second source's ratio gates, checked every 10 canary sessions at 5%, roll back a large share of identical canaries", () => {
    const source = parseGatesConfig("deployments: [a]\npreset: second-source\n");
    const results = runs(40, (seed) =>
      simulateRollout({
        config: source,
        baseline: sessionModel(),
        canary: sessionModel(),
        sessionsPerMinute: 10,
        seed,
        // 5% of 10 sessions a minute: 10 canary sessions every 20 minutes, for two days.
        stages: [{ percent: 5, minDurationSeconds: 48 * 3600, minSessionsPerArm: 0 }, { percent: 100, minDurationSeconds: 0, minSessionsPerArm: 0 }],
        evaluationMinutes: 20,
      }),
    );
    const falseRollbacks = results.filter((r) => r.firing).length;
    expect(falseRollbacks / results.length).toBeGreaterThan(0.2);
  });

  it("the recommended gates, evaluated every minute through a 60-hour medium-risk rollout, stay silent", () => {
    const results = runs(60, (seed) =>
      simulateRollout({ config: recommended, baseline: sessionModel(), canary: sessionModel(), sessionsPerMinute: 10, seed }),
    );
    // Budget is 1% over the rollout; 0 or 1 of 60 is what that budget allows to be seen.
    expect(results.filter((r) => r.firing).length).toBeLessThanOrEqual(1);
    expect(results.every((r) => r.canarySessions > 5000)).toBe(true);
  });
});

describe("real regressions", () => {
  const cases = [
    { gate: "cost", canary: { costMedianUsd: 0.08 } },
    { gate: "completion", canary: { completionRate: 0.78 } },
    { gate: "turns", canary: { turnsMedian: 12 } },
  ] as const;

  for (const c of cases) {
    it(`${c.gate}: caught in every run, in about the sessions a fixed-sample test needs`, () => {
      const gate = recommended.gates.find((g) => g.name === c.gate);
      if (!gate) throw new Error(`no gate ${c.gate}`);
      const results = runs(15, (seed) =>
        simulateRollout({ config: recommended, baseline: sessionModel(), canary: sessionModel(c.canary), sessionsPerMinute: 20, seed, gates: [c.gate] }),
      );
      expect(results.every((r) => r.firing?.gate === c.gate)).toBe(true);
      const inWindow = results.map((r) => r.firing?.result.samples.canary ?? Number.NaN).sort((a, b) => a - b);
      const median = inWindow[Math.floor(inWindow.length / 2)] ?? Number.NaN;
      const percent = results[0]?.firing?.canaryPercent ?? 5;
      const fixed = fixedSampleSize(gate, sessionModel(), sessionModel(c.canary), { alpha: gate.alpha, power: 0.95, allocation: (100 - percent) / percent });
      expect(median).toBeLessThanOrEqual(1.5 * fixed);
    });
  }
});
