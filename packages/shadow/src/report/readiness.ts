import type { DurationVerdict } from "./shadow-duration.js";

/**
 * The pre-deploy review of the first source, as checks: shadow ran long enough
 * for the risk, output similarity is above the threshold (0.90 cosine, its
 * figure), and the judge shows no significant quality regression.
 */
export const DEFAULT_MIN_SIMILARITY = 0.9;
const SIGNIFICANCE = 0.05;

export interface ReadinessCheck {
  readonly check: "duration" | "similarity" | "judge";
  readonly passed: boolean;
  readonly detail: string;
}

/**
 * One-sided sign test: the chance of at least `worse` losses in `worse + better`
 * fair coin flips. Ties carry no information and are left out.
 */
export function signTestPValue(worse: number, better: number): number {
  const n = worse + better;
  if (n === 0) return 1;
  // Sum binomial(n, k) / 2^n for k >= worse, in log space so large n does not overflow.
  let logChoose = 0; // log C(n, 0)
  let tail = 0;
  for (let k = 0; k <= n; k++) {
    if (k > 0) logChoose += Math.log((n - k + 1) / k);
    if (k >= worse) tail += Math.exp(logChoose - n * Math.LN2);
  }
  return Math.min(1, tail);
}

export interface ReadinessInput {
  readonly duration: DurationVerdict;
  readonly meanSimilarity: number | null;
  readonly productionBetter: number;
  readonly candidateBetter: number;
}

export function readinessChecks(input: ReadinessInput, minSimilarity = DEFAULT_MIN_SIMILARITY): ReadinessCheck[] {
  const d = input.duration;
  const mean = input.meanSimilarity;
  const { productionBetter: worse, candidateBetter: better } = input;
  const p = signTestPValue(worse, better);
  return [
    {
      check: "duration",
      passed: d.met || !d.required,
      detail: d.met ? "ran long enough for the risk tier" : d.required ? `needs ${d.rule}` : "not met, but low-risk changes may skip shadow mode",
    },
    {
      check: "similarity",
      passed: mean !== null && mean >= minSimilarity,
      detail: mean === null ? "no comparisons" : `mean similarity ${mean.toFixed(3)} (threshold ${minSimilarity.toFixed(2)})`,
    },
    {
      check: "judge",
      passed: p >= SIGNIFICANCE,
      detail:
        worse + better === 0
          ? "no judged pair with a preference (no judge, or only ties)"
          : `production better ${worse}, candidate better ${better}: sign test p = ${p.toFixed(3)}${p < SIGNIFICANCE ? " (significant regression)" : ""}`,
    },
  ];
}
