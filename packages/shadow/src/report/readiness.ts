import type { DurationVerdict } from "./shadow-duration.js";

/**
 * The usual pre-deploy review of shadow results for agents, as checks: shadow
 * ran long enough for the change's risk, mean output similarity is above the
 * threshold (0.90 cosine is the customary figure), and the LLM-as-judge shows no
 * statistically significant quality regression.
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
  /** Pairs with a verdict (ties included); judge errors are not verdicts. */
  readonly judged: number;
  readonly judgeErrors: number;
  readonly productionBetter: number;
  readonly candidateBetter: number;
  /** No verdict at all fails the judge check instead of passing it. */
  readonly requireJudge: boolean;
}

function judgeCheck(input: ReadinessInput): ReadinessCheck {
  const { productionBetter: worse, candidateBetter: better } = input;
  if (input.judged === 0) {
    const why = input.judgeErrors > 0 ? `every judge call failed (${input.judgeErrors} errors)` : "no pair was judged (no judge configured, or none sampled)";
    return input.requireJudge
      ? { check: "judge", passed: false, detail: `${why}; this review needs the judge's comparison: configure compare.judge, or pass --no-require-judge` }
      : { check: "judge", passed: true, detail: `${why}; not required` };
  }
  const p = signTestPValue(worse, better);
  return {
    check: "judge",
    passed: p >= SIGNIFICANCE,
    detail:
      worse + better === 0
        ? `${input.judged} judged, all ties`
        : `production better ${worse}, candidate better ${better}: sign test p = ${p.toFixed(3)}${p < SIGNIFICANCE ? " (significant regression)" : ""}`,
  };
}

export function readinessChecks(input: ReadinessInput, minSimilarity = DEFAULT_MIN_SIMILARITY): ReadinessCheck[] {
  const d = input.duration;
  const mean = input.meanSimilarity;
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
    judgeCheck(input),
  ];
}
