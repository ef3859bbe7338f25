import type { GatesConfig } from "../config/resolve.js";
import { constantValue } from "../stats/formula/compile.js";
import { isConstant, type Arm, type GateExpr, type StratumExpr } from "../stats/formula/tree.js";
import { FIELD_SERIES, NAMED_SERIES, RECORDED } from "./names.js";
import { by, gateSeries, num } from "./selectors.js";

/**
 * Writes the formula tree (stats/formula/tree.ts) as PromQL, for one gate.
 * Stratum terms combine one stratum's two arms (`ignoring (version_group)`,
 * so a stratum missing either arm drops out, as `compared()` drops it in
 * TypeScript); gate-level expressions combine series with the same labels
 * (by labels, deployment, rollout_id, gate). Constant subtrees are folded to
 * numbers, named values become references to their own recorded series.
 */
export interface RenderContext {
  readonly config: GatesConfig;
  readonly gate: string;
}

const CMP_BOOL = { ">": "> bool", ">=": ">= bool", "<": "< bool", "<=": "<= bool" } as const;

function leaf(ctx: RenderContext, arm: Arm, field: keyof typeof FIELD_SERIES): string {
  return gateSeries(FIELD_SERIES[field], ctx.gate, `version_group="${arm}"`);
}

function hasSeries(e: StratumExpr): boolean {
  return e.kind === "arm" || (e.kind === "binary" && (hasSeries(e.left) || hasSeries(e.right)));
}

function stratum(ctx: RenderContext, e: StratumExpr): string {
  switch (e.kind) {
    case "arm":
      return leaf(ctx, e.arm, e.field);
    case "num":
      return num(e.value);
    case "binary": {
      const matching = hasSeries(e.left) && hasSeries(e.right) ? " ignoring (version_group)" : "";
      return `(${stratum(ctx, e.left)} ${e.op}${matching} ${stratum(ctx, e.right)})`;
    }
  }
}

/** The strata both arms have samples in, as a filter on a stratum term. */
function comparedStrata(ctx: RenderContext): string {
  return `and ignoring (version_group) ${leaf(ctx, "canary", "n")} and ignoring (version_group) ${leaf(ctx, "baseline", "n")}`;
}

const gateBy = (ctx: RenderContext): string => by(ctx.config, "gate");

/** PromQL of a gate-level expression; a named value inside it is a reference to its own recorded series. */
export function renderGate(ctx: RenderContext, e: GateExpr): string {
  if (isConstant(e)) return num(constantValue(e));
  switch (e.kind) {
    case "num":
      return num(e.value);
    case "sum":
      return `sum ${gateBy(ctx)} (${stratum(ctx, e.term)} ${comparedStrata(ctx)})`;
    case "strata":
      return `count ${gateBy(ctx)} (${leaf(ctx, "canary", "n")} ${comparedStrata(ctx)})`;
    case "span":
      return gateSeries(RECORDED.span, ctx.gate);
    case "binary":
      return `(${renderGate(ctx, e.left)} ${e.op} ${renderGate(ctx, e.right)})`;
    case "compare":
      return `(${renderGate(ctx, e.left)} ${CMP_BOOL[e.op]} ${renderGate(ctx, e.right)})`;
    case "fn":
      return `${e.fn}(${renderGate(ctx, e.arg)})`;
    case "clamp": {
      const arg = renderGate(ctx, e.arg);
      if (e.min !== undefined && e.max !== undefined) return `clamp(${arg}, ${num(e.min)}, ${num(e.max)})`;
      if (e.min !== undefined) return `clamp_min(${arg}, ${num(e.min)})`;
      if (e.max !== undefined) return `clamp_max(${arg}, ${num(e.max)})`;
      return arg;
    }
    case "named":
      return gateSeries(NAMED_SERIES[e.name], ctx.gate);
  }
}

/**
 * An output that may be a constant (a threshold_only boundary of 0) still needs
 * one series per rollout: a constant is added to zero times the gate's span.
 */
export function renderOutput(ctx: RenderContext, e: GateExpr): string {
  if (isConstant(e)) return `${num(constantValue(e))} + 0 * ${gateSeries(RECORDED.span, ctx.gate)}`;
  return renderGate(ctx, e);
}
