import type { Gate } from "../../config/resolve.js";
import type { GateExpr } from "../formula/tree.js";
import { countFormula } from "./count.js";
import { meanFormula } from "./mean.js";
import { scoreFormula } from "./score.js";

/**
 * Everything a gate records, as formulas over its strata. The verdict reads
 * them the same way everywhere (judge.ts and the PromQL verdict rule):
 * failing when both arms have minSamples and failStatistic > failBoundary,
 * passing when passStatistic > passBoundary, undecided otherwise.
 */
export interface GateFormula {
  /** Compared sessions (or observations) per arm: Σ over the strata both arms share. */
  readonly canarySamples: GateExpr;
  readonly baselineSamples: GateExpr;
  /** The canary's estimate and the baseline's, reweighted to the canary's strata, in the gate's unit. */
  readonly canaryEstimate: GateExpr;
  readonly baselineEstimate: GateExpr;
  /** canary / baseline (ratio gates, geometric means for cost_geometric_mean) or canary − baseline (delta gates). */
  readonly value: GateExpr;
  /** V = C²/(C + K), in sessions. */
  readonly information: GateExpr;
  /** Evidence that the canary is worse than the tolerance, and the always-valid boundary it must pass. */
  readonly failStatistic: GateExpr;
  readonly failBoundary: GateExpr;
  /** Evidence that the canary is not worse than the tolerance, and its boundary. */
  readonly passStatistic: GateExpr;
  readonly passBoundary: GateExpr;
}

export type FormulaOutput = keyof GateFormula;

export const FORMULA_OUTPUTS: readonly FormulaOutput[] = [
  "canarySamples",
  "baselineSamples",
  "canaryEstimate",
  "baselineEstimate",
  "value",
  "information",
  "failStatistic",
  "failBoundary",
  "passStatistic",
  "passBoundary",
];

/** The formulas of a gate's test. */
export function gateFormula(gate: Gate): GateFormula {
  switch (gate.test) {
    case "mean":
      return meanFormula(gate);
    case "score":
      return scoreFormula(gate);
    case "count":
      return countFormula(gate);
  }
}
