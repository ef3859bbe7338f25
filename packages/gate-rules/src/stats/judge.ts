import type { Gate, GatesConfig } from "../config/resolve.js";
import { formulaInput, type Stratum } from "./arms.js";
import { compileFormulas, type FormulaInput } from "./formula/compile.js";
import { gateFormula, type FormulaOutput } from "./statistics/formula.js";

/**
 * A gate's three outcomes: failing (the canary is worse than its tolerance, with
 * always-valid confidence), passing (shown not worse than its tolerance),
 * undecided (neither yet). The recorded verdict series holds 1, -1 and 0.
 */
export type GateVerdict = "failing" | "passing" | "undecided";

export const VERDICT_VALUE: Readonly<Record<GateVerdict, 1 | 0 | -1>> = { failing: 1, undecided: 0, passing: -1 };

export interface GateJudgement {
  gate: string;
  kind: Gate["kind"];
  test: Gate["test"];
  action: Gate["action"];
  severity: Gate["severity"];
  comparison: Gate["comparison"];
  threshold: number;
  passBeforePercent: number | undefined;
  verdict: GateVerdict;
  /** What decided it, or what is missing. */
  reason: string;
  /** canary / baseline (ratio) or canary − baseline (delta); NaN without sessions in both arms. */
  value: number;
  /** The canary's estimate and the baseline's, reweighted to the canary's strata. */
  estimates: { canary: number; baseline: number };
  /** Compared samples per arm (strata both arms share). */
  samples: { canary: number; baseline: number };
  minSamples: number;
  /** V = C²/(C + K), in sessions. */
  information: number;
  /** The look-back span the rollout is in (1 until it is older than the look-back). */
  span: number;
  /** The evidence against the canary and its boundary; NaN statistic below minSamples or when not finite. */
  fail: { statistic: number; boundary: number };
  /** The evidence for the canary and its boundary. */
  pass: { statistic: number; boundary: number };
}

type Compiled = (input: FormulaInput) => Record<FormulaOutput, number>;
const compiledByGate = new WeakMap<Gate, Compiled>();

/** The gate's formulas compiled once (simulations judge every gate every minute). */
export function gateEvaluator(gate: Gate): Compiled {
  let f = compiledByGate.get(gate);
  if (!f) {
    f = compileFormulas(gateFormula(gate));
    compiledByGate.set(gate, f);
  }
  return f;
}

/** The statistic exists: both arms reach minSamples in the shared strata and it is finite (as the recording rules keep it). */
export function statisticOf(gate: Gate, out: Record<FormulaOutput, number>, side: "fail" | "pass"): number {
  const statistic = side === "fail" ? out.failStatistic : out.passStatistic;
  const enough = out.canarySamples >= gate.minSamples && out.baselineSamples >= gate.minSamples;
  return enough && Number.isFinite(statistic) ? statistic : Number.NaN;
}

function undecidedReason(gate: Gate, out: Record<FormulaOutput, number>, fail: number, pass: number): string {
  if (!(out.canarySamples > 0)) return "no canary percent has sessions in both arms yet";
  if (out.canarySamples < gate.minSamples || out.baselineSamples < gate.minSamples) {
    return `needs ${gate.minSamples} samples per arm in the strata both arms share, has canary ${fmt(out.canarySamples)}, baseline ${fmt(out.baselineSamples)}`;
  }
  if (Number.isNaN(fail) && Number.isNaN(pass)) return "no finite statistic: both arms have zero variance";
  return `not yet past either boundary: ${evidence(out)}`;
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));

function evidence(out: Record<FormulaOutput, number>): string {
  return `against ${out.failStatistic.toFixed(2)} vs ${out.failBoundary.toFixed(2)}, for ${out.passStatistic.toFixed(2)} vs ${out.passBoundary.toFixed(2)}`;
}

/** One gate's verdict from its formulas' outputs: the same reading the PromQL verdict rule makes. */
export function verdictOf(gate: Gate, out: Record<FormulaOutput, number>): { verdict: GateVerdict; fail: number; pass: number } {
  const fail = statisticOf(gate, out, "fail");
  const pass = statisticOf(gate, out, "pass");
  if (fail > out.failBoundary) return { verdict: "failing", fail, pass };
  if (pass > out.passBoundary) return { verdict: "passing", fail, pass };
  return { verdict: "undecided", fail, pass };
}

/** One gate over its rollout's strata (sessions not split at random already left out). */
export function judgeGate(gate: Gate, strata: readonly Stratum[], span = 1): GateJudgement {
  const out = gateEvaluator(gate)(formulaInput(gate, strata, span));
  const { verdict, fail, pass } = verdictOf(gate, out);
  const shown = `${gate.comparison} ${out.value.toPrecision(4)} vs tolerance ${gate.threshold}; evidence ${evidence(out)}`;
  const reason =
    verdict === "failing" ? `canary worse than its tolerance: ${shown}` : verdict === "passing" ? `canary shown not worse than its tolerance: ${shown}` : undecidedReason(gate, out, fail, pass);
  return {
    gate: gate.name,
    kind: gate.kind,
    test: gate.test,
    action: gate.action,
    severity: gate.severity,
    comparison: gate.comparison,
    threshold: gate.threshold,
    passBeforePercent: gate.passBeforePercent,
    verdict,
    reason,
    value: out.value,
    estimates: { canary: out.canaryEstimate, baseline: out.baselineEstimate },
    samples: { canary: out.canarySamples, baseline: out.baselineSamples },
    minSamples: gate.minSamples,
    information: out.information,
    span,
    fail: { statistic: fail, boundary: out.failBoundary },
    pass: { statistic: pass, boundary: out.passBoundary },
  };
}

/** Every gate of a config over one rollout's strata, or each gate's own strata. */
export function judgeGates(config: GatesConfig, strata: readonly Stratum[] | ((gate: Gate) => readonly Stratum[]), span = 1): GateJudgement[] {
  return config.gates.map((gate) => judgeGate(gate, typeof strata === "function" ? strata(gate) : strata, span));
}
