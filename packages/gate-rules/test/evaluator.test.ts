import { describe, expect, it } from "vitest";
import {
  alwaysValidBoundary,
  countBoundary,
  constantValue,
  decidingTime,
  emptyArm,
  fixedBoundary,
  judgeGate,
  judgeGates,
  lgamma,
  literal,
  logMixtureValue,
  normal,
  parseGatesConfig,
  readGateVerdicts,
  seededRandom,
  spanShare,
  strataFromSessions,
  type ArmStats,
  type SessionRecord,
  type Stratum,
} from "../src/index.js";

const config = parseGatesConfig("deployments: [a]\n");
const gate = (name: string) => {
  const g = config.gates.find((x) => x.name === name);
  if (!g) throw new Error(`no gate ${name}`);
  return g;
};

function sessions(group: SessionRecord["group"], count: number, make: (i: number) => Partial<SessionRecord>): SessionRecord[] {
  return Array.from({ length: count }, (_, i) => ({ group, outcome: "completed", costUsd: 0.04, turns: 6, durationSeconds: 30, looped: false, unsafe: false, canaryPercent: 5, ...make(i) }));
}

/** Costs that vary between sessions (a fixed pseudo-random spread around `base`). */
const noisy = (base: number) => (i: number) => ({ costUsd: base * (0.5 + ((i * 7919) % 1000) / 1000) });

describe("always-valid boundaries", () => {
  it("the normal mixture is above the fixed-sample critical value, grows slowly, and is infinite without information", () => {
    const alpha = 0.001;
    for (const v of [10, 100, 1000, 100_000]) expect(alwaysValidBoundary(v, alpha, 100)).toBeGreaterThan(fixedBoundary(alpha));
    expect(alwaysValidBoundary(1e6, alpha, 100)).toBeGreaterThan(alwaysValidBoundary(1e4, alpha, 100));
    expect(alwaysValidBoundary(0, alpha, 100)).toBe(Number.POSITIVE_INFINITY);
  });

  it("one-sided Gaussian random walks cross it at most alpha of the time over every look", () => {
    const alpha = 0.1;
    const rng = seededRandom(5);
    let crossed = 0;
    for (let run = 0; run < 1000; run++) {
      let sum = 0;
      for (let v = 1; v <= 2000; v++) {
        sum += normal(rng);
        if (sum / Math.sqrt(v) > alwaysValidBoundary(v, alpha, 50)) {
          crossed++;
          break;
        }
      }
    }
    expect(crossed / 1000).toBeLessThan(alpha);
    expect(crossed / 1000).toBeGreaterThan(alpha / 4);
  });

  it("spans past the look-back get shrinking shares that add up to the whole budget, and sliding windows stay inside theirs", () => {
    let total = 0;
    for (let k = 1; k <= 100_000; k++) total += spanShare(k);
    expect(total).toBeLessThanOrEqual(1);
    expect(total).toBeGreaterThan(0.9999);
    // A window of L steps sliding over the second span, at the second span's boundary: crosses at most its share.
    const L = 400;
    const alpha = 0.2;
    const rng = seededRandom(11);
    const b = alwaysValidBoundary(L, alpha, 20, 2);
    // The k-th span spends alpha·6/(π²k²): the same boundary as span 1 at alpha·spanShare(k)/spanShare(1).
    expect(alwaysValidBoundary(L, (alpha * spanShare(2)) / spanShare(1), 20, 1)).toBeCloseTo(b, 12);
    let crossed = 0;
    const walk = new Float64Array(2 * L + 1);
    for (let run = 0; run < 1500; run++) {
      for (let t = 1; t <= 2 * L; t++) walk[t] = (walk[t - 1] ?? 0) + normal(rng);
      for (let t = L + 1; t <= 2 * L; t++) {
        if (((walk[t] ?? 0) - (walk[t - L] ?? 0)) / Math.sqrt(L) > b) {
          crossed++;
          break;
        }
      }
    }
    expect(crossed / 1500).toBeLessThan(alpha * spanShare(2));
  });

  it("computes ln Γ to 1e-6 with Stirling's series, as PromQL must without lgamma", () => {
    expect(lgamma(1)).toBeCloseTo(0, 6);
    expect(lgamma(2)).toBeCloseTo(0, 6);
    expect(lgamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 6);
    expect(lgamma(11)).toBeCloseTo(Math.log(3628800), 6);
    expect(lgamma(1000.5)).toBeCloseTo(5908.674175826, 5);
  });

  it("the count test's gamma-Poisson mixture keeps its error budget on Bernoulli events, one event at a time", () => {
    const alpha = 0.05;
    const rho = 2;
    const rng = seededRandom(3);
    const threshold = constantValue(countBoundary(alpha, literal(1)));
    const lnM = (N: number, L: number) => logMixtureValue(N, L, rho);
    let crossed = 0;
    const runs = 2000;
    for (let run = 0; run < runs; run++) {
      let N = 0;
      for (let e = 1; e <= 400; e++) {
        // Each event is the canary's with probability 0.05 (its share of sessions), whatever the rate does.
        if (rng() < 0.05) N++;
        if (N >= e * 0.05 && lnM(N, e * 0.05) >= threshold) {
          crossed++;
          break;
        }
      }
    }
    expect(crossed / runs).toBeLessThan(alpha);
    // One or two canary events are never proof, whatever the baseline did.
    expect(lnM(2, 0.05)).toBeLessThan(threshold);
  });
});

describe("judgeGate", () => {
  it("says undecided below the minimum sessions per arm, whatever the canary does", () => {
    const strata = strataFromSessions([...sessions("baseline", 5000, () => ({})), ...sessions("canary", 40, () => ({ costUsd: 1 }))]);
    const cost = judgeGate(gate("cost"), strata);
    expect(cost).toMatchObject({ verdict: "undecided", samples: { canary: 40, baseline: 5000 } });
    expect(cost.reason).toMatch(/needs 50 samples per arm/);
  });

  it("fails a canary that costs twice as much, passes one that costs the same, on the same boundary", () => {
    const worse = strataFromSessions([...sessions("baseline", 4000, noisy(0.04)), ...sessions("canary", 400, noisy(0.08))]);
    const same = strataFromSessions([...sessions("baseline", 4000, noisy(0.04)), ...sessions("canary", 400, noisy(0.04))]);
    const fail = judgeGate(gate("cost"), worse);
    expect(fail).toMatchObject({ verdict: "failing", action: "rollback" });
    expect(fail.value).toBeCloseTo(2, 1);
    expect(fail.fail.statistic).toBeGreaterThan(fail.fail.boundary);
    const pass = judgeGate(gate("cost"), same);
    expect(pass.verdict).toBe("passing");
    expect(pass.pass.statistic).toBeGreaterThan(pass.pass.boundary);
    // The geometric-mean gate sees the same: a ratio of exactly 2 and of exactly 1 on the log scale.
    expect(judgeGate(gate("typical_cost"), worse).value).toBeCloseTo(2, 1);
    expect(judgeGate(gate("typical_cost"), same).verdict).toBe("passing");
  });

  it("compares within canary percents: a shift shared by both arms after a stage change is no regression", () => {
    // 5% stage: everything costs 0.04. 25% stage: an incident doubles everyone's cost. The canary is identical.
    const at5 = [...sessions("baseline", 1900, noisy(0.04)), ...sessions("canary", 100, noisy(0.04))];
    const at25 = [...sessions("baseline", 900, noisy(0.08)), ...sessions("canary", 300, noisy(0.08))].map((s) => ({ ...s, canaryPercent: 25 }));
    const strata = strataFromSessions([...at5, ...at25]);
    expect(strata.map((s) => s.canaryPercent).sort()).toEqual(["25", "5"]);
    const cost = judgeGate(gate("cost"), strata);
    expect(cost.value).toBeCloseTo(1, 1);
    expect(cost.verdict).not.toBe("failing");
    // Pooled over both stages (one stratum), the same sessions read as a 1.3x regression: what issue 10 saw.
    const pooled = strataFromSessions([...at5, ...at25].map((s) => ({ ...s, canaryPercent: 5 })));
    expect(judgeGate(gate("cost"), pooled).value).toBeGreaterThan(1.25);
  });

  it("with one stratum, information is n_c·n_b/(n_c + n_b)", () => {
    const strata = strataFromSessions([...sessions("baseline", 900, noisy(0.04)), ...sessions("canary", 100, noisy(0.04))]);
    expect(judgeGate(gate("cost"), strata).information).toBeCloseTo((900 * 100) / 1000, 9);
  });

  it("leaves out sessions not split at random (tenant overrides, shared routing keys)", () => {
    const overridden = sessions("canary", 3000, () => ({ costUsd: 1, assignment: "tenant_override" }));
    const keyed = sessions("baseline", 3000, () => ({ costUsd: 5, assignment: "routing_key" }));
    const split = [...sessions("baseline", 4000, noisy(0.04)), ...sessions("canary", 400, noisy(0.04))];
    const cost = judgeGate(gate("cost"), strataFromSessions([...overridden, ...keyed, ...split]));
    expect(cost.samples).toEqual({ canary: 400, baseline: 4000 });
    expect(cost.value).toBeCloseTo(1, 1);
  });

  it("rare events: a few canary loops against none are not proof, dozens are; safety with tolerance 0 never passes", () => {
    const base = sessions("baseline", 19_000, () => ({}));
    const loops = (k: number) => sessions("canary", 1000, (i) => (i < k ? { looped: true, outcome: "loop_detected" } : {}));
    expect(judgeGate(gate("loops"), strataFromSessions([...base, ...loops(2)])).verdict).not.toBe("failing");
    expect(judgeGate(gate("loops"), strataFromSessions([...base, ...loops(40)])).verdict).toBe("failing");
    const clean = strataFromSessions([...sessions("baseline", 190_000, () => ({})), ...sessions("canary", 10_000, () => ({}))]);
    expect(judgeGate(gate("safety"), clean).verdict).toBe("undecided");
  });

  it("gives no statistic, so no verdict, when both arms have zero variance", () => {
    const same = strataFromSessions([...sessions("baseline", 500, () => ({})), ...sessions("canary", 500, () => ({ turns: 12 }))]);
    const turns = judgeGate(gate("turns"), same);
    expect(turns).toMatchObject({ verdict: "undecided", fail: { statistic: Number.NaN } });
    expect(turns.reason).toMatch(/zero variance/);
  });

  it("judges every gate of a config, and a stratum missing one arm adds nothing", () => {
    const onlyCanary: Stratum = { canaryPercent: "50", canary: emptyArm(), baseline: emptyArm() };
    onlyCanary.canary.sessions = 1000;
    const results = judgeGates(config, [onlyCanary]);
    expect(results.map((r) => r.gate)).toEqual(config.gates.map((g) => g.name));
    expect(results.every((r) => r.verdict === "undecided" && r.reason.startsWith("no canary percent has sessions in both arms"))).toBe(true);
  });
});

describe("decidingTime", () => {
  const traffic = { canaryPerHour: 300, baselinePerHour: 5700 };

  it("estimates sessions and hours to pass an identical canary and to fail a regression, from the gate's own formulas", () => {
    const pass = decidingTime(gate("cost"), traffic, { mean: 0.054, variance: 0.054 ** 2 * 0.9 }, { outcome: "passing" });
    const fail = decidingTime(gate("cost"), traffic, { mean: 0.054, variance: 0.054 ** 2 * 0.9 }, { outcome: "failing", mean: 0.108 });
    expect(pass.canarySessions).toBeGreaterThan(50);
    expect(pass.hours).toBeCloseTo(pass.canarySessions / 300, 9);
    expect(fail.canarySessions).toBeLessThan(pass.canarySessions);
    // The estimate is where the gate's own verdict flips on expected totals.
    const at = (n: number): ArmStats => {
      const a = emptyArm();
      a.quantities.cost = { count: n, sum: n * 0.054, sumSquares: n * (0.054 ** 2 * 1.9) };
      return a;
    };
    const judged = (c: number) => judgeGate(gate("cost"), [{ canaryPercent: "5", canary: at(c), baseline: at(c * 19) }]).verdict;
    expect(judged(pass.canarySessions)).toBe("passing");
    expect(judged(pass.canarySessions * 0.9)).not.toBe("passing");
  });

  it("says a zero-tolerance gate can never pass, and a gate without traffic can never decide", () => {
    expect(decidingTime(gate("safety"), traffic, { mean: 0.002 }, { outcome: "passing" }).hours).toBe(Number.POSITIVE_INFINITY);
    expect(decidingTime(gate("loops"), { canaryPerHour: 0, baselinePerHour: 100 }, { mean: 0.005 }, { outcome: "passing" }).reason).toMatch(/no split sessions/);
    const loops = decidingTime(gate("loops"), { canaryPerHour: 0.2, baselinePerHour: 19.8 }, { mean: 0.005 }, { outcome: "passing" });
    expect(loops.hours).toBeGreaterThan(24 * 365);
  });
});

describe("readGateVerdicts", () => {
  it("reads the recorded series of one rollout into typed verdicts, undecided where a gate has none", () => {
    const sample = (name: string, gateName: string, value: number) => ({ metric: { __name__: name, gate: gateName, deployment: "a", rollout_id: "r1" }, value: [1700000000, String(value)] });
    const readings = readGateVerdicts(config, [
      sample("rollout:agent_canary_gate_verdict:state", "cost", -1),
      sample("rollout:agent_canary_gate_statistic:pass", "cost", 4.2),
      sample("rollout:agent_canary_gate_verdict:state", "loops", 1),
    ]);
    expect(readings.find((r) => r.gate === "cost")).toMatchObject({ verdict: "passing", pass: { statistic: 4.2 }, passBeforePercent: 50 });
    expect(readings.find((r) => r.gate === "loops")?.verdict).toBe("failing");
    expect(readings.find((r) => r.gate === "safety")).toMatchObject({ verdict: "undecided", passBeforePercent: undefined });
    expect(() => readGateVerdicts(config, [{ metric: {}, value: ["x", "1"] }])).toThrow(/data\.result\.0\.value\.0/);
  });
});
