import { alwaysValidBoundary, decidingTime, parseGatesConfig, type GatesConfig } from "@agent-canary/gate-rules";
import { fmt, table } from "../lib/report.ts";
import { gateMoments } from "./reference.ts";
import { CANARY_PERCENT, SESSIONS_PER_MINUTE } from "./scenarios.ts";

/** Where the one-sided normal-mixture boundary (on the z scale) is lowest, in units of rho, for a few alphas. */
export function boundaryMinimumTable(): string {
  const rows = [0.05, 0.03, 0.01, 0.00111, 0.0003, 0.0001].map((alpha) => {
    let best = Number.POSITIVE_INFINITY;
    let at = 0;
    for (let u = 0.01; u < 1e6; u *= 1.001) {
      const b = alwaysValidBoundary(u, alpha, 1);
      if (b < best) [best, at] = [b, u];
    }
    return [String(alpha), fmt(at, 1), fmt(best, 3), fmt(alwaysValidBoundary(1, alpha, 1), 3), fmt(alwaysValidBoundary(100, alpha, 1), 3)];
  });
  return table(["gate alpha (the first span spends 6/π² of it)", "V at the lowest z boundary, in rho", "lowest z boundary", "z boundary at V = rho", "at V = 100 rho"], rows);
}

/** A regression per gate for tuning: roughly twice its tolerance. */
const REGRESSED: Readonly<Record<string, object>> = {
  cost: { costMedianUsd: 0.08 },
  typical_cost: { costMedianUsd: 0.08 },
  loops: { loopRate: 0.015 },
  completion: { completionRate: 0.78 },
  turns: { turnsMedian: 12 },
  errors: { errorRate: 0.03, completionRate: 0.9 },
  latency: { durationMedianSeconds: 60 },
  quality: { qualityMean: 0.7 },
  safety: { unsafeRate: 0.006 },
};

const RHOS = { mean: [2, 10, 20, 50, 100, 200], score: [2, 10, 20, 50, 100, 200], count: [0.5, 1, 2, 4, 8, 16] } as const;

/**
 * Canary sessions on the median path (decidingTime: the gate's own formulas on
 * expected totals, 5% canary) to pass an identical canary and to fail a
 * regression, for a range of rho: where the gate's decisions happen, and the
 * rho the recommended preset uses.
 */
export function rhoTable(config: GatesConfig): string {
  const traffic = { canaryPerHour: (SESSIONS_PER_MINUTE * 60 * CANARY_PERCENT) / 100, baselinePerHour: (SESSIONS_PER_MINUTE * 60 * (100 - CANARY_PERCENT)) / 100 };
  const rows = config.gates.map((g0) => {
    const cells = RHOS[g0.test].map((rho) => {
      const g = parseGatesConfig(`deployments: [a]\ngates:\n  - {kind: ${g0.kind}, name: ${g0.name}, rho: ${rho}}\n`).gates.find((x) => x.name === g0.name);
      if (!g) return "-";
      const observedShare = g.kind === "judge_quality" ? 0.5 : 1;
      const m = gateMoments(g, {});
      const r = gateMoments(g, REGRESSED[g.name] ?? {});
      const pass = decidingTime(g, traffic, { ...m, observedShare }, { outcome: "passing" }).canarySessions;
      const fail = decidingTime(g, traffic, { ...m, observedShare }, { outcome: "failing", mean: r.mean, variance: r.variance }).canarySessions;
      return `${rho}: ${Number.isFinite(pass) ? fmt(pass, 0) : "never"} / ${fmt(fail, 0)}`;
    });
    return [`${g0.name} (${g0.test}, preset rho ${g0.rho})`, ...cells];
  });
  return table(["gate (test, preset rho)", ...Array.from({ length: 6 }, (_, i) => `rho #${i + 1}: pass / fail`)], rows);
}
