// Property tests of the gate statistics: every output of every test (mean, score,
// count) equals a direct, plain-number rewrite of the formulas in STATISTICS.md on
// random stratified rollouts. The production code builds expression trees that also
// become PromQL; this rewrite shares none of that code, so a slip in either shows.
// Written against the survivors of mutation testing (issue 14; gate-rules-stats).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KIND_SPECS } from "../src/gates/kinds.js";
import { alwaysValidBoundary, type Gate, lgamma, parseGatesConfig, spanShare } from "../src/index.js";
import { gateEvaluator } from "../src/stats/judge.js";
import { compileFormulas, type FormulaInput, type StratumTotals } from "../src/stats/formula/compile.js";
import { logMixtureValue } from "../src/stats/statistics/count.js";
import { FORMULA_OUTPUTS, gateFormula, type FormulaOutput } from "../src/stats/statistics/formula.js";
import { meanFormula } from "../src/stats/statistics/mean.js";
import { RATE_FLOOR, scoreFormula } from "../src/stats/statistics/score.js";
import { fixedBoundary } from "../src/stats/statistics/boundary.js";
import { EVERY_TEST_GATES } from "./helpers/every-test-gates.js";

/** The outputs, listed here rather than read from FORMULA_OUTPUTS, so a change to that list shows. */
const OUTPUTS: readonly FormulaOutput[] = ["canarySamples", "baselineSamples", "canaryEstimate", "baselineEstimate", "value", "information", "failStatistic", "failBoundary", "passStatistic", "passBoundary"];

const LOG_COST_FLOOR_USD = 1e-6;

/** ln Γ by the Lanczos approximation (g = 7, 9 terms): independent of the Stirling series under test. */
function lanczosLgamma(z: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  const x = z - 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The normal-mixture boundary at level α·6/(π²k²), written out. */
function boundary(v: number, alpha: number, rho: number, k: number): number {
  const alphaK = alpha * (6 / (Math.PI * Math.PI * k * k));
  return Math.sqrt(((2 * (v + rho)) / v) * Math.log(Math.sqrt((v + rho) / rho) / (2 * alphaK) + 1));
}

const clamp = (p: number) => Math.min(1 - RATE_FLOOR, Math.max(RATE_FLOOR, p));

interface Pooled {
  C: number;
  B: number;
  K: number;
  J: number;
  mc: number;
  mb: number;
  V: number;
  Neff: number;
}

function pooled(strata: readonly StratumTotals[], field: "x" | "s"): Pooled {
  const both = strata.filter((s) => s.canary.n > 0 && s.baseline.n > 0);
  let C = 0, B = 0, K = 0, Tc = 0, Tb = 0;
  for (const { canary: c, baseline: b } of both) {
    C += c.n;
    B += b.n;
    K += (c.n * c.n) / b.n;
    Tc += c[field];
    Tb += (c.n * b[field]) / b.n;
  }
  return { C, B, K, J: both.length, mc: Tc / C, mb: Tb / C, V: (C * C) / (C + K), Neff: (C * C) / K };
}

function reference(gate: Gate, input: FormulaInput): Record<FormulaOutput, number> {
  const spec = KIND_SPECS[gate.kind];
  const k = input.span;
  const both = input.strata.filter((s) => s.canary.n > 0 && s.baseline.n > 0);
  const avBoundary = (alpha: number, V: number) => (gate.method === "always_valid" ? boundary(V, alpha, gate.rho, k) : 0);
  if (gate.test === "mean") {
    if (spec.family !== "mean") throw new Error("mean test on a rate kind");
    const p = pooled(input.strata, "s");
    const within = (arm: "canary" | "baseline") => both.reduce((sum, s) => sum + (s[arm].q - (s[arm].s * s[arm].s) / s[arm].n), 0);
    const spread = (v: number, m: number) => (v > m * m * 1e-12 ? v : 0);
    const vc = spread(Math.max(within("canary") / (p.C - p.J), 0), p.mc);
    const vb = spread(Math.max(within("baseline") / (p.B - p.J), 0), p.mb);
    const sign = spec.harm === "higher" ? 1 : -1;
    const log = spec.scale === "log";
    const ratio = gate.comparison === "ratio" && !log;
    const t = gate.threshold;
    const margin = ratio ? sign * (p.mc - t * p.mb) : log ? sign * (p.mc - p.mb - Math.log(t)) : sign * (p.mc - p.mb) - t;
    const weight = ratio ? t * t : 1;
    const z = margin / Math.sqrt(vc / p.C + (vb * p.K * weight) / (p.C * p.C));
    const display = (m: number) => (log ? Math.exp(m) * LOG_COST_FLOOR_USD : m);
    return {
      canarySamples: p.C,
      baselineSamples: p.B,
      canaryEstimate: display(p.mc),
      baselineEstimate: display(p.mb),
      value: ratio ? p.mc / p.mb : log ? Math.exp(p.mc - p.mb) : p.mc - p.mb,
      information: p.V,
      failStatistic: z,
      failBoundary: avBoundary(gate.alpha, p.V),
      passStatistic: -z,
      passBoundary: avBoundary(gate.passAlpha, p.V),
    };
  }
  const p = pooled(input.strata, "x");
  const Tc = p.mc * p.C;
  const ratio = gate.comparison === "ratio";
  const value = ratio ? p.mc / p.mb : p.mc - p.mb;
  const common = { canarySamples: p.C, baselineSamples: p.B, canaryEstimate: p.mc, baselineEstimate: p.mb, value, information: p.V };
  if (gate.test === "score") {
    const sign = spec.harm === "higher" ? 1 : -1;
    const r = gate.threshold;
    const baselineEvents = p.mb * p.Neff;
    const pool = ratio ? clamp((Tc + baselineEvents + 0.5) / (r * p.C + p.Neff + 1)) : clamp((Tc + baselineEvents + 0.5 - sign * r * p.C) / (p.C + p.Neff + 1));
    const nullCanary = clamp(ratio ? r * pool : pool + sign * r);
    const w = ratio ? r : 1;
    const sd = Math.sqrt((nullCanary * (1 - nullCanary)) / p.C + (w * w * pool * (1 - pool)) / p.Neff);
    const correction = 0.5 / p.C + (w * 0.5) / p.Neff;
    const margin = ratio ? sign * (p.mc - r * p.mb) : sign * (p.mc - p.mb) - r;
    return {
      ...common,
      failStatistic: (margin - correction) / sd,
      failBoundary: avBoundary(gate.alpha, p.V),
      passStatistic: (-margin - correction) / sd,
      passBoundary: avBoundary(gate.passAlpha, p.V),
    };
  }
  const r = ratio ? gate.threshold : 1;
  let Lambda = 0;
  for (const { canary: c, baseline: b } of both) Lambda += (c.x + b.x) * ((r * c.n) / (r * c.n + b.n));
  const rho = gate.rho;
  const lnM = Lambda + rho * Math.log(rho) - lanczosLgamma(rho) + lanczosLgamma(rho + Tc) - (rho + Tc) * Math.log(rho + Lambda);
  const evidence = Math.max(lnM, 0);
  const countBoundary = (alpha: number) => Math.log((k * k * Math.PI * Math.PI) / (6 * alpha) + 1);
  return {
    ...common,
    failStatistic: Tc >= Lambda ? evidence : 0,
    failBoundary: countBoundary(gate.alpha),
    passStatistic: Tc < Lambda ? evidence : 0,
    passBoundary: countBoundary(gate.passAlpha),
  };
}

/** Every preset gate, plus the comparisons and methods the presets do not use. */
const config = parseGatesConfig(`deployments: [a]\n${EVERY_TEST_GATES}`);

/** One arm of one stratum: n sessions; events x ≤ n; a sum s and sum of squares q ≥ s²/n (Cauchy–Schwarz). */
const arm = fc
  .record({ n: fc.integer({ min: 1, max: 400 }), eventShare: fc.double({ min: 0, max: 1, noNaN: true }), mean: fc.double({ min: -3, max: 50, noNaN: true }), spread: fc.double({ min: 0, max: 40, noNaN: true }) })
  .map(({ n, eventShare, mean, spread }) => ({ n, x: Math.round(eventShare * n), s: mean * n, q: n * (mean * mean + spread * spread) }));
const stratum = fc.record({ canary: arm, baseline: arm });
/** Some strata may miss an arm: they are left out of the comparison. */
const missingArm = fc.record({ canary: arm, baseline: fc.constant({ n: 0, x: 0, s: 0, q: 0 }) });
const inputs = fc.record({
  strata: fc.tuple(fc.array(stratum, { minLength: 1, maxLength: 4 }), fc.array(missingArm, { maxLength: 1 })).map(([a, b]) => [...a, ...b]),
  span: fc.integer({ min: 1, max: 6 }),
});

function close(actual: number, expected: number, label: string, tolerance = 1e-6): void {
  if (Number.isNaN(expected)) return expect(actual, label).toBeNaN();
  if (!Number.isFinite(expected)) return expect(actual, label).toBe(expected);
  expect(Math.abs(actual - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(expected)));
}

describe("gate statistics equal their formulas written out", () => {
  for (const gate of config.gates) {
    it(`${gate.name} (${gate.test}, ${gate.comparison} ${gate.threshold}, ${gate.method})`, () => {
      const evaluate = gateEvaluator(gate);
      fc.assert(
        fc.property(inputs, (input) => {
          const got = evaluate(input);
          const want = reference(gate, input);
          for (const output of OUTPUTS) close(got[output], want[output], `${gate.name}.${output}`);
        }),
        { numRuns: 60, seed: 14 },
      );
    });
  }
});

describe("edges", () => {
  it("FORMULA_OUTPUTS lists every output once", () => {
    expect([...FORMULA_OUTPUTS]).toEqual(OUTPUTS);
  });

  it("keeps rates inside (0, 1) when every session of both arms has an event", () => {
    const all = { n: 300, x: 300, s: 0, q: 0 };
    const input = { strata: [{ canary: all, baseline: all }], span: 1 };
    for (const gate of config.gates.filter((g) => g.test === "score")) {
      // Built here, not taken from gateEvaluator's cache, so this test is what reaches the clamp (mutation runs see it).
      const got = compileFormulas(gateFormula(gate))(input);
      const want = reference(gate, input);
      // Tight: the pooled rate sits on its ceiling here (1 - 1e-9), and the clamp's side shows only in the 9th digit.
      for (const output of OUTPUTS) close(got[output], want[output], `${gate.name}.${output}`, 1e-11);
      expect(Number.isFinite(got.failStatistic), gate.name).toBe(true);
    }
  });

  it("the fixed-sample critical value is the normal quantile at 1 - alpha, to 1e-9 (simple-statistics' probit was 5e-3 off at 0.01)", () => {
    // −√2·erfinv(2α − 1) to 20 digits (mpmath, 30-digit arithmetic).
    const known: [alpha: number, z: number][] = [
      [0.2, 0.84162123357291420518],
      [0.05, 1.6448536269514727149],
      [0.025, 1.9599639845400542355],
      [0.01, 2.3263478740408411009],
      [0.005, 2.575829303548900761],
      [0.001, 3.0902323061678135415],
      [0.0001, 3.7190164854556805644],
      [0.000001, 4.7534243088228989482],
    ];
    for (const [alpha, z] of known) expect(Math.abs(fixedBoundary(alpha) - z), `alpha ${alpha}`).toBeLessThan(1e-9);
  });

  it("the count test's log mixture as a number equals its formula", () => {
    for (const [N, Lambda, rho] of [[0, 0.5, 4], [3, 1.2, 4], [40, 12.5, 2], [7, 7, 50]] as const) {
      const want = Lambda + rho * Math.log(rho) - lanczosLgamma(rho) + lanczosLgamma(rho + N) - (rho + N) * Math.log(rho + Lambda);
      close(logMixtureValue(N, Lambda, rho), want, `N=${N} Λ=${Lambda} ρ=${rho}`);
    }
  });

  it("refuses to build a mean test for a rate gate or a score test for a mean gate", () => {
    const rate = config.gates.find((g) => g.kind === "error_rate")!;
    const mean = config.gates.find((g) => g.kind === "cost_per_session")!;
    expect(() => meanFormula(rate)).toThrow("internal: error_rate is not a mean gate");
    expect(() => scoreFormula(mean)).toThrow("internal: cost_per_session is not a rate gate");
  });
});

describe("boundaries", () => {
  it("the normal-mixture boundary as a number equals its formula, and is infinite without information", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.5, max: 1e6, noNaN: true }), fc.double({ min: 1e-4, max: 0.4, noNaN: true }), fc.double({ min: 0.5, max: 200, noNaN: true }), fc.integer({ min: 1, max: 9 }), (v, alpha, rho, k) => {
        close(alwaysValidBoundary(v, alpha, rho, k), boundary(v, alpha, rho, k), "boundary");
      }),
      { numRuns: 300, seed: 14 },
    );
    expect(alwaysValidBoundary(0, 0.01, 20)).toBe(Number.POSITIVE_INFINITY);
    expect(alwaysValidBoundary(-1, 0.01, 20)).toBe(Number.POSITIVE_INFINITY);
    expect(alwaysValidBoundary(Number.NaN, 0.01, 20)).toBe(Number.POSITIVE_INFINITY);
    close(alwaysValidBoundary(100, 0.01, 20), boundary(100, 0.01, 20, 1), "default span 1");
    // Compiled once per alpha and rho: another rho is another boundary.
    expect(alwaysValidBoundary(100, 0.01, 21)).not.toBe(alwaysValidBoundary(100, 0.01, 20));
    expect(alwaysValidBoundary(100, 0.02, 20)).not.toBe(alwaysValidBoundary(100, 0.01, 20));
  });

  it("span shares are 6/(π²k²)", () => {
    for (const k of [1, 2, 5]) close(spanShare(k), 6 / (Math.PI * Math.PI * k * k), `span ${k}`);
  });

  it("ln Γ agrees with the Lanczos approximation to 1e-6 from 0.05 to 1e6", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 1e6, noNaN: true }), (z) => {
        expect(Math.abs(lgamma(z) - lanczosLgamma(z))).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(lanczosLgamma(z))));
      }),
      { numRuns: 500, seed: 14 },
    );
  });
});
