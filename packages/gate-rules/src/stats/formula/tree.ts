/**
 * The one definition of every gate statistic: a small typed expression tree.
 * `compile.ts` evaluates it in TypeScript (the embedded evaluator, the
 * simulations) and `prometheus/render.ts` writes it as PromQL (the recording
 * rules), so the two cannot drift; the differential test runs both on the same
 * series.
 *
 * Two levels, because a gate is a sum over strata (canary percents) of terms
 * that combine the two arms of one stratum:
 * - a StratumExpr is evaluated once per stratum both arms share;
 * - a GateExpr combines sums over those strata, constants and the look-back span.
 */

export type Arm = "canary" | "baseline";

/** Totals of one arm in one stratum: samples, events, sum of values, sum of squared values. */
export type ArmField = "n" | "x" | "s" | "q";

export type BinaryOp = "+" | "-" | "*" | "/";
export type CompareOp = ">" | ">=" | "<" | "<=";
export type UnaryFn = "sqrt" | "ln" | "exp";

export type StratumExpr =
  | { readonly kind: "arm"; readonly arm: Arm; readonly field: ArmField }
  | { readonly kind: "num"; readonly value: number }
  | { readonly kind: "binary"; readonly op: BinaryOp; readonly left: StratumExpr; readonly right: StratumExpr };

/** Names of the gate-level values recorded as their own series (prometheus/names.ts maps them to series names). */
export type NamedValue =
  | "canarySamples"
  | "baselineSamples"
  | "baselineWeight"
  | "canaryTotal"
  | "baselineTotal"
  | "canaryWithin"
  | "baselineWithin"
  | "strata"
  | "expectedEvents"
  | "information"
  | "margin"
  | "standardError"
  | "logEvidence";

export type GateExpr =
  | { readonly kind: "num"; readonly value: number }
  /** Σ of a stratum term over the strata where both arms have samples. */
  | { readonly kind: "sum"; readonly term: StratumExpr }
  /** How many strata both arms have samples in. */
  | { readonly kind: "strata" }
  /** The look-back span the rollout is in: 1 while it is younger than the look-back, then 2, 3, ... */
  | { readonly kind: "span" }
  | { readonly kind: "binary"; readonly op: BinaryOp; readonly left: GateExpr; readonly right: GateExpr }
  /** 1 when the comparison holds, else 0 (PromQL `op bool`; NaN compares false). */
  | { readonly kind: "compare"; readonly op: CompareOp; readonly left: GateExpr; readonly right: GateExpr }
  | { readonly kind: "fn"; readonly fn: UnaryFn; readonly arg: GateExpr }
  /** min(max(arg, min), max); either bound may be omitted. */
  | { readonly kind: "clamp"; readonly arg: GateExpr; readonly min?: number; readonly max?: number }
  /** A value recorded as its own series, so rules stay short and dashboards can show it. */
  | { readonly kind: "named"; readonly name: NamedValue; readonly expr: GateExpr };

type Operand<T> = T | number;

function lift<T>(x: Operand<T>): T {
  return (typeof x === "number" ? { kind: "num", value: x } : x) as T;
}

function binary<T>(op: BinaryOp, a: Operand<T>, b: Operand<T>): T {
  return { kind: "binary", op, left: lift(a), right: lift(b) } as unknown as T;
}

/** Arithmetic that reads like the formulas in STATISTICS.md, on either level (numbers are literals). */
export function add(a: Operand<StratumExpr>, b: Operand<StratumExpr>): StratumExpr;
export function add(a: Operand<GateExpr>, b: Operand<GateExpr>): GateExpr;
export function add<T>(a: Operand<T>, b: Operand<T>): T {
  return binary("+", a, b);
}
export function sub(a: Operand<StratumExpr>, b: Operand<StratumExpr>): StratumExpr;
export function sub(a: Operand<GateExpr>, b: Operand<GateExpr>): GateExpr;
export function sub<T>(a: Operand<T>, b: Operand<T>): T {
  return binary("-", a, b);
}
export function mul(a: Operand<StratumExpr>, b: Operand<StratumExpr>): StratumExpr;
export function mul(a: Operand<GateExpr>, b: Operand<GateExpr>): GateExpr;
export function mul<T>(a: Operand<T>, b: Operand<T>): T {
  return binary("*", a, b);
}
export function div(a: Operand<StratumExpr>, b: Operand<StratumExpr>): StratumExpr;
export function div(a: Operand<GateExpr>, b: Operand<GateExpr>): GateExpr;
export function div<T>(a: Operand<T>, b: Operand<T>): T {
  return binary("/", a, b);
}

export const literal = (value: number): GateExpr => ({ kind: "num", value });
export const arm = (which: Arm, field: ArmField): StratumExpr => ({ kind: "arm", arm: which, field });
export const sum = (term: StratumExpr): GateExpr => ({ kind: "sum", term });
export const strataCount = (): GateExpr => ({ kind: "strata" });
export const span = (): GateExpr => ({ kind: "span" });
export const named = (name: NamedValue, expr: GateExpr): GateExpr => ({ kind: "named", name, expr });
export const sqrt = (arg: Operand<GateExpr>): GateExpr => ({ kind: "fn", fn: "sqrt", arg: lift(arg) });
export const ln = (arg: Operand<GateExpr>): GateExpr => ({ kind: "fn", fn: "ln", arg: lift(arg) });
export const exp = (arg: Operand<GateExpr>): GateExpr => ({ kind: "fn", fn: "exp", arg: lift(arg) });
export const clampMin = (arg: GateExpr, min: number): GateExpr => ({ kind: "clamp", arg, min });
export const clamp = (arg: GateExpr, min: number, max: number): GateExpr => ({ kind: "clamp", arg, min, max });
export const compare = (op: CompareOp, left: Operand<GateExpr>, right: Operand<GateExpr>): GateExpr => ({ kind: "compare", op, left: lift(left), right: lift(right) });

/** True when the expression reads no series (constants only): it can be folded to a number. */
export function isConstant(e: GateExpr | StratumExpr): boolean {
  switch (e.kind) {
    case "num":
      return true;
    case "binary":
    case "compare":
      return isConstant(e.left) && isConstant(e.right);
    case "fn":
    case "clamp":
      return isConstant(e.arg);
    default:
      return false;
  }
}

/** The named values an expression uses, innermost first and each once: the order their rules must run in. */
export function namedValues(e: GateExpr, out: { name: NamedValue; expr: GateExpr }[] = []): { name: NamedValue; expr: GateExpr }[] {
  switch (e.kind) {
    case "binary":
    case "compare":
      namedValues(e.left, out);
      namedValues(e.right, out);
      break;
    case "fn":
    case "clamp":
      namedValues(e.arg, out);
      break;
    case "named":
      namedValues(e.expr, out);
      if (!out.some((n) => n.name === e.name)) out.push({ name: e.name, expr: e.expr });
      break;
    default:
      break;
  }
  return out;
}
