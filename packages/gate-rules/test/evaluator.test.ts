import { describe, expect, it } from "vitest";
import {
  alwaysValidBoundary,
  armsFromSessions,
  evaluateGates,
  fixedBoundary,
  histogramQuantile,
  normal,
  parseGatesConfig,
  seededRandom,
  type SessionRecord,
} from "../src/index.js";

const config = parseGatesConfig("deployments: [a]\n");
const gate = (name: string) => {
  const g = config.gates.find((x) => x.name === name);
  if (!g) throw new Error(`no gate ${name}`);
  return g;
};

function sessions(group: SessionRecord["group"], count: number, make: (i: number) => Partial<SessionRecord>): SessionRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    group,
    outcome: "completed",
    costUsd: 0.04,
    turns: 6,
    durationSeconds: 30,
    looped: false,
    unsafe: false,
    ...make(i),
  }));
}

describe("always-valid boundary", () => {
  it("is above the fixed-sample critical value and grows slowly with information", () => {
    const alpha = 0.001;
    for (const v of [10, 100, 1000, 100_000]) expect(alwaysValidBoundary(v, alpha, 100)).toBeGreaterThan(fixedBoundary(alpha));
    expect(alwaysValidBoundary(1e6, alpha, 100)).toBeGreaterThan(alwaysValidBoundary(1e4, alpha, 100));
    expect(alwaysValidBoundary(0, alpha, 100)).toBe(Number.POSITIVE_INFINITY);
  });

  it("is the one-sided normal mixture: random walks cross it at most alpha of the time, clearly more often than the two-sided one", () => {
    // The two-sided mixture (|z| crossing) is valid for a one-sided test too, but spends only about half of alpha on it.
    const twoSided = (v: number, alpha: number, rho: number) => Math.sqrt(((v + rho) / v) * (2 * Math.log(1 / alpha) + Math.log((v + rho) / rho)));
    const alpha = 0.1;
    const rho = 50;
    const rng = seededRandom(5);
    let oneSidedCrossed = 0;
    let twoSidedCrossed = 0;
    for (let run = 0; run < 1000; run++) {
      let sum = 0;
      let crossedOne = false;
      let crossedTwo = false;
      for (let v = 1; v <= 2000 && !(crossedOne && crossedTwo); v++) {
        sum += normal(rng);
        const z = sum / Math.sqrt(v);
        crossedOne ||= z > alwaysValidBoundary(v, alpha, rho);
        crossedTwo ||= z > twoSided(v, alpha, rho);
      }
      oneSidedCrossed += Number(crossedOne);
      twoSidedCrossed += Number(crossedTwo);
    }
    expect(oneSidedCrossed / 1000).toBeLessThan(alpha + 0.02);
    expect(oneSidedCrossed).toBeGreaterThan(1.3 * twoSidedCrossed);
  });
});

describe("evaluateGates", () => {
  it("says insufficient_data below the minimum sessions per arm, whatever the canary does", () => {
    const arms = armsFromSessions([...sessions("baseline", 5000, () => ({})), ...sessions("canary", 40, () => ({ costUsd: 1 }))]);
    const cost = evaluateGates(config, arms).find((r) => r.gate === "cost");
    expect(cost?.verdict).toBe("insufficient_data");
    expect(cost?.samples).toEqual({ canary: 40, baseline: 5000 });
  });

  it("fails a canary that costs twice as much and passes one that costs the same", () => {
    const noisy = (base: number) => (i: number) => ({ costUsd: base * (0.5 + ((i * 7919) % 1000) / 1000) });
    const worse = armsFromSessions([...sessions("baseline", 4000, noisy(0.04)), ...sessions("canary", 400, noisy(0.08))]);
    const same = armsFromSessions([...sessions("baseline", 4000, noisy(0.04)), ...sessions("canary", 400, noisy(0.04))]);
    const fail = evaluateGates(config, worse).find((r) => r.gate === "cost");
    const pass = evaluateGates(config, same).find((r) => r.gate === "cost");
    expect(fail).toMatchObject({ verdict: "fail", action: gate("cost").action });
    expect(fail?.value).toBeCloseTo(2, 1);
    expect(fail?.statistic).toBeGreaterThan(fail?.boundary ?? Number.POSITIVE_INFINITY);
    expect(pass?.verdict).toBe("pass");
  });

  it("with zero baseline loops, a few canary loops are not proof, many are", () => {
    const base = sessions("baseline", 3000, () => ({}));
    const loops = (k: number) => sessions("canary", 1000, (i) => (i < k ? { looped: true, outcome: "loop_detected" } : {}));
    const few = evaluateGates(config, armsFromSessions([...base, ...loops(2)])).find((r) => r.gate === "loops");
    const many = evaluateGates(config, armsFromSessions([...base, ...loops(40)])).find((r) => r.gate === "loops");
    expect(few?.verdict).toBe("pass");
    expect(Number.isFinite(few?.statistic)).toBe(true);
    expect(many?.verdict).toBe("fail");
  });

  it("fails completion falling from 92% to 78% (lower is worse)", () => {
    const arm = (group: SessionRecord["group"], n: number, rate: number) =>
      sessions(group, n, (i) => ({ outcome: i < Math.round(n * rate) ? "completed" : "failed" }));
    const result = evaluateGates(config, armsFromSessions([...arm("baseline", 5000, 0.92), ...arm("canary", 500, 0.78)])).find(
      (r) => r.gate === "completion",
    );
    expect(result?.verdict).toBe("fail");
    expect(result?.value).toBeCloseTo(0.78 / 0.92, 6);
  });

  it("reports the p95 of turns from bucket counts the way histogram_quantile does", () => {
    const arms = armsFromSessions(
      [...sessions("baseline", 1000, (i) => ({ turns: 1 + (i % 10) })), ...sessions("canary", 1000, (i) => ({ turns: 2 * (1 + (i % 10)) }))],
      { turns: [2, 4, 8, 16, 32] },
    );
    const turns = evaluateGates(config, arms).find((r) => r.gate === "turns");
    expect(turns?.p95?.baseline).toBeCloseTo(histogramQuantile(0.95, arms.baseline.turns.buckets ?? []), 12);
    expect(turns?.p95?.ratio).toBeGreaterThan(1.5);
    expect(turns?.verdict).toBe("fail");
  });

  it("gives no statistic, so no failure, when both arms have zero variance (z would be Inf or NaN)", () => {
    const worse = armsFromSessions([...sessions("baseline", 500, () => ({})), ...sessions("canary", 500, () => ({ turns: 12 }))]);
    const same = armsFromSessions([...sessions("baseline", 500, () => ({})), ...sessions("canary", 500, () => ({}))]);
    for (const arms of [worse, same]) {
      const turns = evaluateGates(config, arms).find((r) => r.gate === "turns");
      expect(turns).toMatchObject({ verdict: "insufficient_data", statistic: Number.NaN });
      expect(turns?.reason).toMatch(/zero variance/);
    }
  });

  it("rejects a session record with an outcome outside the closed set", () => {
    expect(() => armsFromSessions([{ ...sessions("canary", 1, () => ({}))[0], outcome: "crashed" } as unknown as SessionRecord])).toThrow(/crashed/);
  });
});

describe("histogramQuantile", () => {
  it("interpolates inside the bucket holding the rank and caps at the highest finite bound", () => {
    const buckets = [
      { le: 1, count: 50 },
      { le: 2, count: 100 },
      { le: Number.POSITIVE_INFINITY, count: 100 },
    ];
    expect(histogramQuantile(0.5, buckets)).toBe(1);
    expect(histogramQuantile(0.75, buckets)).toBe(1.5);
    expect(histogramQuantile(0.99, [{ le: 1, count: 1 }, { le: Number.POSITIVE_INFINITY, count: 100 }])).toBe(1);
  });
});
