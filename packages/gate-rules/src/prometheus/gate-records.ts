import type { Gate, GatesConfig } from "../config/resolve.js";
import { KIND_SPECS } from "../gates/kinds.js";
import { namedValues, type GateExpr } from "../stats/formula/tree.js";
import { FORMULA_OUTPUTS, gateFormula, type GateFormula } from "../stats/statistics/formula.js";
import { NAMED_SERIES, RECORDED } from "./names.js";
import { renderGate, renderOutput, type RenderContext } from "./render.js";
import type { RecordingRule } from "./rules.js";
import { gateSeries, num, quote } from "./selectors.js";

/** A per-stratum input series summed over the label that tells its outcomes or quantities apart. */
function folded(record: string, label: "outcome" | "quantity", values?: readonly string[]): string {
  const match = values ? `{${label}=~${quote(values.join("|"))}}` : "";
  return `sum without (${label}) (${record}${match})`;
}

/**
 * The gate's arm totals per stratum (samples, and events or Σx and Σx²), from
 * the shared input layer. A total that never moved has no series: it counts as 0
 * where the arm has samples.
 */
function armTotals(gate: Gate): RecordingRule[] {
  const spec = KIND_SPECS[gate.kind];
  const orZero = (expr: string, samples: string) => `${expr} or 0 * ${samples}`;
  if (spec.family === "rate") {
    const n = folded(RECORDED.sessionsLookback, "outcome");
    const x =
      "metric" in spec.events
        ? spec.events.metric === "loopingSessions"
          ? RECORDED.loopingLookback
          : RECORDED.unsafeLookback
        : folded(RECORDED.sessionsLookback, "outcome", gate.outcomes ?? spec.events.outcomes);
    return [
      { record: RECORDED.samples, expr: n },
      { record: RECORDED.events, expr: orZero(x, n) },
    ];
  }
  const of = (record: string) => folded(record, "quantity", [spec.quantity]);
  const n = of(RECORDED.observationsLookback);
  return [
    { record: RECORDED.samples, expr: n },
    { record: RECORDED.sum, expr: orZero(of(RECORDED.valueLookback), n) },
    { record: RECORDED.sumSquares, expr: orZero(of(RECORDED.valueSquaredLookback), n) },
  ];
}

/** Every named value the gate's outputs use, innermost first. */
function namedRules(ctx: RenderContext, f: GateFormula): RecordingRule[] {
  const seen: { name: keyof typeof NAMED_SERIES; expr: GateExpr }[] = [];
  for (const key of FORMULA_OUTPUTS) namedValues(f[key], seen);
  return seen.map(({ name, expr }) => ({ record: NAMED_SERIES[name], expr: renderGate(ctx, expr) }));
}

/** The statistic exists only once both arms have minSamples and it is finite (as judge.ts reads it). */
function guarded(ctx: RenderContext, gate: Gate, f: GateFormula, statistic: GateExpr): string {
  const enough = (samples: GateExpr) => `${renderGate(ctx, samples)} >= ${num(gate.minSamples)}`;
  return `${renderGate(ctx, statistic)} > -Inf < +Inf\nand ${enough(f.canarySamples)}\nand ${enough(f.baselineSamples)}`;
}

/** 1 failing, -1 passing, 0 undecided for every rollout the gates see (verdictOf in judge.ts). */
function verdict(gate: string): string {
  const s = (record: string) => gateSeries(record, gate);
  return `(${s(RECORDED.statistic)} > ${s(RECORDED.boundary)}) * 0 + 1\nor (${s(RECORDED.passStatistic)} > ${s(RECORDED.passBoundary)}) * 0 - 1\nor 0 * ${s(RECORDED.span)}`;
}

/** A gate's recording rules in evaluation order (each rule can read the ones before it). */
export function gateRecordingRules(gate: Gate, config: GatesConfig): RecordingRule[] {
  const ctx: RenderContext = { config, gate: gate.name };
  const f = gateFormula(gate);
  const withGroup = (group: string): Record<string, string> => ({ version_group: group });
  return [
    { record: RECORDED.span, expr: RECORDED.rolloutSpan },
    ...armTotals(gate),
    ...namedRules(ctx, f),
    { record: RECORDED.estimate, expr: renderOutput(ctx, f.canaryEstimate), labels: withGroup("canary") },
    { record: RECORDED.estimate, expr: renderOutput(ctx, f.baselineEstimate), labels: withGroup("baseline") },
    { record: RECORDED.value, expr: renderOutput(ctx, f.value) },
    // No rule of its own for V: every test names it (the boundaries read it), so namedRules
    // records it (rule-references.test.ts holds each test to it; the controller reads it).
    { record: RECORDED.statistic, expr: guarded(ctx, gate, f, f.failStatistic) },
    { record: RECORDED.boundary, expr: renderOutput(ctx, f.failBoundary) },
    { record: RECORDED.passStatistic, expr: guarded(ctx, gate, f, f.passStatistic) },
    { record: RECORDED.passBoundary, expr: renderOutput(ctx, f.passBoundary) },
    { record: RECORDED.verdict, expr: verdict(gate.name) },
  ];
}
