import { arm, span, sum, type ArmField, type CompareOp, type GateExpr, type StratumExpr } from "./tree.js";

/** One arm's totals in one stratum, as a gate reads them (samples, events, Σx, Σx²). */
export type ArmTotals = Readonly<Record<ArmField, number>>;

export interface StratumTotals {
  readonly canary: ArmTotals;
  readonly baseline: ArmTotals;
}

/** What a gate's formulas read: its strata (any order) and the look-back span of the rollout. */
export interface FormulaInput {
  readonly strata: readonly StratumTotals[];
  readonly span: number;
}

/** Both arms have samples: the strata a gate compares (in PromQL, the strata where both arms' series exist). */
export function compared(s: StratumTotals): boolean {
  return s.canary.n > 0 && s.baseline.n > 0;
}

/**
 * Prometheus' clamp family is math.Max(min, math.Min(max, v)): NaN stays NaN,
 * where JavaScript's Math.max would also give NaN, so the two agree.
 */
function clampValue(v: number, min: number, max: number): number {
  return Number.isNaN(v) ? v : Math.max(min, Math.min(max, v));
}

/** A literal as JavaScript source; the tree only holds numbers, so nothing but numbers is ever emitted. */
function literal(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "(-Infinity)";
  return Object.is(x, -0) || x < 0 ? `(${String(x)})` : String(x);
}

// PromQL's `bool` comparisons: NaN compares false, as it does in JavaScript.
const COMPARE: Record<CompareOp, string> = { ">": ">", ">=": ">=", "<": "<", "<=": "<=" };

function stratumSource(e: StratumExpr): string {
  switch (e.kind) {
    case "arm":
      return `s.${e.arm}.${e.field}`;
    case "num":
      return literal(e.value);
    case "binary":
      return `(${stratumSource(e.left)} ${e.op} ${stratumSource(e.right)})`;
  }
}

/**
 * Turns a bundle of gate-level trees into the body of one JavaScript function:
 * every distinct node (shared subtrees such as C or V are shared objects) gets
 * one local, every sum over strata is accumulated in one loop, and the outputs
 * are returned together. The source is made only of numbers, fixed operators
 * and Math functions from our own trees; simulations evaluate every gate every
 * minute for days, which a tree-walking interpreter made 50x slower.
 */
class SourceBuilder {
  private readonly names = new Map<GateExpr, string>();
  readonly sums: string[] = [];
  readonly body: string[] = [];
  usesStrataCount = false;

  ref(e: GateExpr): string {
    const known = this.names.get(e);
    if (known) return known;
    if (e.kind === "num") return literal(e.value);
    if (e.kind === "named") {
      const inner = this.ref(e.expr);
      this.names.set(e, inner);
      return inner;
    }
    const name = `v${this.names.size}`;
    this.names.set(e, name);
    switch (e.kind) {
      case "sum":
        this.sums.push(`${name} += ${stratumSource(e.term)};`);
        return name;
      case "strata":
        this.usesStrataCount = true;
        this.body.push(`const ${name} = strataCount;`);
        return name;
      case "span":
        this.body.push(`const ${name} = input.span;`);
        return name;
      default:
        this.body.push(`const ${name} = ${this.expression(e)};`);
        return name;
    }
  }

  private expression(e: Exclude<GateExpr, { kind: "num" | "named" | "sum" | "strata" | "span" }>): string {
    switch (e.kind) {
      case "binary":
        return `${this.ref(e.left)} ${e.op} ${this.ref(e.right)}`;
      case "compare":
        return `(${this.ref(e.left)} ${COMPARE[e.op]} ${this.ref(e.right)} ? 1 : 0)`;
      case "fn":
        return `Math.${e.fn === "ln" ? "log" : e.fn}(${this.ref(e.arg)})`;
      case "clamp":
        return `clamp(${this.ref(e.arg)}, ${literal(e.min ?? Number.NEGATIVE_INFINITY)}, ${literal(e.max ?? Number.POSITIVE_INFINITY)})`;
    }
  }

  /** The function source: sums first (they read only strata), then the gate-level locals in dependency order. */
  source(outputs: [string, string][]): string {
    const sumNames = this.sums.map((line) => line.slice(0, line.indexOf(" ")));
    return [
      ...sumNames.map((n) => `let ${n} = 0;`),
      "let strataCount = 0;",
      "for (const s of input.strata) {",
      "  if (!(s.canary.n > 0 && s.baseline.n > 0)) continue;",
      "  strataCount += 1;",
      ...this.sums.map((line) => `  ${line}`),
      "}",
      ...this.body,
      `return { ${outputs.map(([key, ref]) => `${JSON.stringify(key)}: ${ref}`).join(", ")} };`,
    ].join("\n");
  }
}

/**
 * Compiles several outputs of one gate into a function of its strata. The
 * result computes exactly what evaluating each tree node by node would: the
 * same operations in the same order on float64.
 */
export function compileFormulas<K extends string>(outputs: Readonly<Record<K, GateExpr>>): (input: FormulaInput) => Record<K, number> {
  const builder = new SourceBuilder();
  const refs = Object.entries(outputs).map(([key, expr]) => [key, builder.ref(expr as GateExpr)] as [string, string]);
  const make = new Function("clamp", `return function gateFormulas(input) {\n${builder.source(refs)}\n};`) as (clamp: typeof clampValue) => (input: FormulaInput) => Record<K, number>;
  return make(clampValue);
}

/** The value of a constant expression (no series): the renderer folds these into numbers. */
export function constantValue(e: GateExpr): number {
  return compileFormulas({ value: e })({ strata: [], span: Number.NaN }).value;
}

/**
 * A number-valued function of up to three values and a span, compiled once from
 * a formula tree: the boundaries and the count test's evidence as plain
 * functions, for tests, tuning and planning that call them many times. The
 * values ride in a single stratum's canary totals (x, s, q), so the function is
 * the very code the evaluator runs.
 */
export function numeric(build: (values: readonly GateExpr[], k: GateExpr) => GateExpr): (values: readonly number[], k?: number) => number {
  const values = (["x", "s", "q"] as const).map((field) => sum(arm("canary", field)));
  const f = compileFormulas({ value: build(values, span()) });
  return (v, k = 1) => f({ strata: [{ canary: { n: 1, x: v[0] ?? 0, s: v[1] ?? 0, q: v[2] ?? 0 }, baseline: { n: 1, x: 0, s: 0, q: 0 } }], span: k }).value;
}
