import { add, arm, div, mul, named, strataCount, sub, sum, type GateExpr } from "../formula/tree.js";

/** The per-stratum totals a gate reads, canary and baseline. */
export const canary = { n: arm("canary", "n"), x: arm("canary", "x"), s: arm("canary", "s"), q: arm("canary", "q") } as const;
export const baseline = { n: arm("baseline", "n"), x: arm("baseline", "x"), s: arm("baseline", "s"), q: arm("baseline", "q") } as const;

/**
 * The canary against the baseline reweighted to the canary's strata. Inside one
 * stratum (one canary percent) every session went to the canary with the same
 * probability whenever it ran, so both arms saw the same hours; giving each
 * stratum's baseline mean the canary's weight n_c,s compares like with like
 * whatever happened between strata (a stage change, an incident, a daily cycle):
 *   C = Σ n_c,s   m_c = Σ T_c,s / C   m_b* = Σ n_c,s·(T_b,s / n_b,s) / C
 * with T the events (rates) or the sum of values (means). The baseline's
 * variance shrinks as K/C² with K = Σ n_c,s²/n_b,s, so C²/K is its effective
 * size and V = C²/(C + K) the information of the comparison, in sessions; with
 * one stratum V = n_c·n_b/(n_c + n_b).
 */
export interface Stratified {
  /** Σ n_c over the compared strata. */
  readonly canarySamples: GateExpr;
  /** Σ n_b over the compared strata. */
  readonly baselineSamples: GateExpr;
  /** K = Σ n_c²/n_b. */
  readonly baselineWeight: GateExpr;
  /** Σ T_c: the canary's events or sum of values. */
  readonly canaryTotal: GateExpr;
  /** Σ n_c·T_b/n_b: the baseline's, reweighted to the canary's strata. */
  readonly baselineTotal: GateExpr;
  readonly canaryMean: GateExpr;
  readonly baselineMean: GateExpr;
  readonly information: GateExpr;
  /** C²/K: how many baseline sessions the reweighted baseline is worth. */
  readonly effectiveBaseline: GateExpr;
}

export function stratified(field: "x" | "s"): Stratified {
  const C = named("canarySamples", sum(canary.n));
  const B = named("baselineSamples", sum(baseline.n));
  const K = named("baselineWeight", sum(div(mul(canary.n, canary.n), baseline.n)));
  const canaryTotal = named("canaryTotal", sum(canary[field]));
  const baselineTotal = named("baselineTotal", sum(div(mul(canary.n, baseline[field]), baseline.n)));
  return {
    canarySamples: C,
    baselineSamples: B,
    baselineWeight: K,
    canaryTotal,
    baselineTotal,
    canaryMean: div(canaryTotal, C),
    baselineMean: div(baselineTotal, C),
    information: named("information", div(mul(C, C), add(C, K))),
    effectiveBaseline: div(mul(C, C), K),
  };
}

/** How many strata both arms share (degrees of freedom lost to the stratum means). */
export const strata = (): GateExpr => named("strata", strataCount());

/** A difference read in the harmful direction: as is when higher is worse, negated when lower is worse. */
export const signed = (sign: 1 | -1, e: GateExpr): GateExpr => (sign === 1 ? e : sub(0, e));
