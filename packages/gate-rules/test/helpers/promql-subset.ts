// An in-process evaluator of the PromQL subset prometheus/render.ts writes for a
// gate's formulas and alerts.ts for its alerts (selectors with = != =~ !~
// matchers, + - * / and comparisons with `bool`, `ignoring`/`on`, `group_left`,
// and/or/unless, sum/count/min/topk `by` or `without`, sqrt/ln/exp/clamp*/floor,
// time(), vector(), and last_over_time, increase and sum_over_time of a range), at one instant,
// with Prometheus' vector-matching rules. The store holds one value per series, and a
// range function reads it as its own result over the range (with any offset): the
// series' latest sample for last_over_time, the counter's increase over the range for
// increase(), the sum of the range's samples for sum_over_time(). A test that feeds raw
// counters therefore gives their increases, and a rule chain evaluated once sees each
// look-back sum equal to the one increment recorded before it.
// It lets the fast tests check that the rendered PromQL computes what the TypeScript
// evaluator computes without starting Prometheus (differential.test.ts does that on a
// real one, slowly; prometheus-backfill.test.ts checks increments over time).
// Anything outside the subset throws, so a rendering change cannot pass unnoticed.

export type Labels = Readonly<Record<string, string>>;
export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}
export type Value = { kind: "scalar"; value: number } | { kind: "vector"; samples: Sample[] };

/** The series Prometheus holds at the instant: name → samples (labels without __name__). */
export type SeriesStore = ReadonlyMap<string, readonly Sample[]>;

/** One series written out: name, labels, value. */
export type Series = [name: string, labels: Labels, value: number];

export function storeOf(series: readonly Series[]): Map<string, Sample[]> {
  const store = new Map<string, Sample[]>();
  for (const [name, labels, value] of series) store.set(name, [...(store.get(name) ?? []), { labels, value }]);
  return store;
}

type Token = { t: "num"; v: number } | { t: "id"; v: string } | { t: "str"; v: string } | { t: "op"; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d*)?(?:e[+-]?\d+)?|(?:Inf|NaN)(?![\w:]))|([a-zA-Z_:][\w:]*)|"((?:[^"\\]|\\.)*)"|(==|!=|=~|!~|>=|<=|[-+*/(){}\[\],<>=]))/y;
  let at = 0;
  while (at < src.length) {
    if (/^\s*$/.test(src.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(src);
    if (!m) throw new Error(`promql-subset: cannot read "${src.slice(at, at + 20)}"`);
    at = re.lastIndex;
    if (m[1] !== undefined) out.push({ t: "num", v: m[1] === "Inf" ? Number.POSITIVE_INFINITY : m[1] === "NaN" ? Number.NaN : Number(m[1]) });
    else if (m[2] !== undefined) out.push({ t: "id", v: m[2] });
    else if (m[3] !== undefined) out.push({ t: "str", v: JSON.parse(`"${m[3]}"`) as string });
    else out.push({ t: "op", v: m[4] ?? "" });
  }
  return out;
}

const PRECEDENCE: Record<string, number> = { or: 1, and: 2, unless: 2, "==": 3, "!=": 3, ">": 3, "<": 3, ">=": 3, "<=": 3, "+": 4, "-": 4, "*": 5, "/": 5 };
const FUNCTIONS: Record<string, (v: number, args: number[]) => number> = {
  sqrt: (v) => Math.sqrt(v),
  ln: (v) => Math.log(v),
  exp: (v) => Math.exp(v),
  clamp: (v, [min = 0, max = 0]) => (Number.isNaN(v) ? v : Math.max(min, Math.min(max, v))),
  clamp_min: (v, [min = 0]) => (Number.isNaN(v) ? v : Math.max(min, v)),
  clamp_max: (v, [max = 0]) => (Number.isNaN(v) ? v : Math.min(max, v)),
  floor: (v) => Math.floor(v),
  last_over_time: (v) => v,
  increase: (v) => v,
  sum_over_time: (v) => v,
};

/** Functions of a range vector: `f(selector[range] offset d)`. */
const RANGE_FUNCTIONS = new Set(["last_over_time", "increase", "sum_over_time"]);

interface Matching {
  bool: boolean;
  mode: "ignoring" | "on";
  labels: string[];
  /** group_left: many on the left to one on the right, copying these labels from the right. */
  groupLeft?: string[];
}

const signatures = new WeakMap<Labels, Map<string, string>>();
/** The labels a match compares, as one string; cached per label set (a rule chain matches the same series many times). */
function signature(labels: Labels, m: Matching): string {
  const key = `${m.mode}(${m.labels.join(",")})`;
  let cached = signatures.get(labels);
  if (!cached) signatures.set(labels, (cached = new Map()));
  let sig = cached.get(key);
  if (sig === undefined) {
    const kept = Object.entries(labels).filter(([k]) => (m.mode === "on" ? m.labels.includes(k) : !m.labels.includes(k)));
    sig = JSON.stringify(kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    cached.set(key, sig);
  }
  return sig;
}

function arithmetic(op: string, a: number, b: number): number {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return a / b;
    case ">":
      return a > b ? 1 : 0;
    case "<":
      return a < b ? 1 : 0;
    case ">=":
      return a >= b ? 1 : 0;
    case "<=":
      return a <= b ? 1 : 0;
    case "==":
      return a === b ? 1 : 0;
    case "!=":
      return a !== b ? 1 : 0;
  }
  throw new Error(`promql-subset: operator ${op}`);
}

const COMPARISONS = new Set([">", "<", ">=", "<=", "==", "!="]);

function binary(op: string, left: Value, right: Value, m: Matching): Value {
  if (op === "and" || op === "unless" || op === "or") {
    if (left.kind !== "vector" || right.kind !== "vector") throw new Error(`promql-subset: ${op} needs two vectors`);
    const rightSigs = new Set(right.samples.map((s) => signature(s.labels, m)));
    if (op === "and") return { kind: "vector", samples: left.samples.filter((s) => rightSigs.has(signature(s.labels, m))) };
    if (op === "unless") return { kind: "vector", samples: left.samples.filter((s) => !rightSigs.has(signature(s.labels, m))) };
    const leftSigs = new Set(left.samples.map((s) => signature(s.labels, m)));
    return { kind: "vector", samples: [...left.samples, ...right.samples.filter((s) => !leftSigs.has(signature(s.labels, m)))] };
  }
  if ((m.labels.length > 0 || m.groupLeft) && (left.kind === "scalar" || right.kind === "scalar")) {
    throw new Error(`promql-subset: ignoring/on/group_left with a number: Prometheus refuses vector matching on a scalar`);
  }
  const comparison = COMPARISONS.has(op);
  if (comparison && !m.bool && (left.kind === "scalar" || right.kind === "scalar") && left.kind !== right.kind) {
    // A filter: keep the vector's samples where the comparison holds.
    const vector = left.kind === "vector" ? left : (right as Extract<Value, { kind: "vector" }>);
    return { kind: "vector", samples: vector.samples.filter((s) => (left.kind === "vector" ? arithmetic(op, s.value, (right as { value: number }).value) : arithmetic(op, (left as { value: number }).value, s.value)) === 1) };
  }
  if (left.kind === "scalar" && right.kind === "scalar") return { kind: "scalar", value: arithmetic(op, left.value, right.value) };
  if (left.kind === "scalar" && right.kind === "vector") return { kind: "vector", samples: right.samples.map((s) => ({ labels: s.labels, value: arithmetic(op, left.value, s.value) })) };
  if (left.kind === "vector" && right.kind === "scalar") return { kind: "vector", samples: left.samples.map((s) => ({ labels: s.labels, value: arithmetic(op, s.value, right.value) })) };
  const l = left as Extract<Value, { kind: "vector" }>;
  const r = right as Extract<Value, { kind: "vector" }>;
  const bySig = new Map<string, Sample>();
  for (const s of r.samples) {
    const sig = signature(s.labels, m);
    if (bySig.has(sig)) throw new Error(`promql-subset: more than one match on the right (${sig}): Prometheus fails the evaluation`);
    bySig.set(sig, s);
  }
  const out: Sample[] = [];
  const seen = new Set<string>();
  for (const s of l.samples) {
    const sig = signature(s.labels, m);
    const match = bySig.get(sig);
    if (!match) continue;
    if (m.groupLeft) {
      // Many-to-one: the left sample keeps its labels and takes the listed ones from the right.
      const copied = Object.fromEntries(m.groupLeft.flatMap((k) => (match.labels[k] === undefined ? [] : [[k, match.labels[k]]])));
      out.push({ labels: { ...s.labels, ...copied }, value: arithmetic(op, s.value, match.value) });
      continue;
    }
    if (seen.has(sig)) throw new Error(`promql-subset: more than one match on the left (${sig}) without group_left`);
    seen.add(sig);
    // One-to-one: the result keeps the left side's labels, less the ignored ones (or only the `on` ones).
    const labels = Object.fromEntries(Object.entries(s.labels).filter(([k]) => (m.mode === "on" ? m.labels.includes(k) : !m.labels.includes(k))));
    if (comparison && !m.bool) {
      // A filter between vectors keeps the left sample, labels and value, where the comparison holds.
      if (arithmetic(op, s.value, match.value) === 1) out.push(s);
      continue;
    }
    out.push({ labels, value: arithmetic(op, s.value, match.value) });
  }
  return { kind: "vector", samples: out };
}

const compiled = new Map<string, RegExp>();
/** The regular expression of a matcher, anchored as in Prometheus (compiled once: rules match many series). */
function anchored(value: string): RegExp {
  let re = compiled.get(value);
  if (!re) compiled.set(value, (re = new RegExp(`^(?:${value})$`)));
  return re;
}

/** A label matcher; regular expressions are anchored, as in Prometheus, and an absent label is "". */
function matches(actual: string, op: string, value: string): boolean {
  if (op === "=") return actual === value;
  if (op === "!=") return actual !== value;
  const hit = anchored(value).test(actual);
  return op === "=~" ? hit : !hit;
}

class Parser {
  private at = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly store: SeriesStore,
    private readonly time: number,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }
  private next(): Token {
    const t = this.tokens[this.at++];
    if (!t) throw new Error("promql-subset: unexpected end");
    return t;
  }
  private expect(v: string): void {
    const t = this.next();
    if (t.v !== v) throw new Error(`promql-subset: expected ${v}, got ${String(t.v)}`);
  }
  /** `(a, b, c)`: label names separated by commas, as Prometheus requires (a trailing comma allowed). */
  private labelList(): string[] {
    this.expect("(");
    const out: string[] = [];
    while (this.peek()?.v !== ")") {
      const t = this.next();
      if (t.t !== "id") throw new Error(`promql-subset: label list ${String(t.v)}`);
      out.push(t.v);
      if (this.peek()?.v !== ")") this.expect(",");
    }
    this.expect(")");
    return out;
  }

  parse(): Value {
    const v = this.expression(0);
    if (this.at !== this.tokens.length) throw new Error(`promql-subset: unread tail at token ${this.at}`);
    return v;
  }

  private operator(): string | undefined {
    const t = this.peek();
    if (!t) return undefined;
    if ((t.t === "op" || t.t === "id") && PRECEDENCE[t.v as string] !== undefined) return t.v as string;
    return undefined;
  }

  private expression(min: number): Value {
    let left = this.unary();
    for (let op = this.operator(); op !== undefined && (PRECEDENCE[op] ?? 0) > min; op = this.operator()) {
      this.next();
      const m: Matching = { bool: false, mode: "ignoring", labels: [] };
      if (this.peek()?.v === "bool") {
        this.next();
        m.bool = true;
      }
      const modifier = this.peek()?.v;
      if (modifier === "ignoring" || modifier === "on") {
        this.next();
        m.mode = modifier;
        m.labels = this.labelList();
      }
      if (this.peek()?.v === "group_left") {
        this.next();
        m.groupLeft = this.labelList();
      }
      if (this.peek()?.v === "group_right") throw new Error("promql-subset: group_right is outside the subset");
      const right = this.expression(PRECEDENCE[op] ?? 0);
      left = binary(op, left, right, m);
    }
    return left;
  }

  private unary(): Value {
    const t = this.peek();
    if (t?.v === "-" || t?.v === "+") {
      this.next();
      const v = this.unary();
      const sign = t.v === "-" ? -1 : 1;
      return v.kind === "scalar" ? { kind: "scalar", value: sign * v.value } : { kind: "vector", samples: v.samples.map((s) => ({ labels: s.labels, value: sign * s.value })) };
    }
    return this.primary();
  }

  private primary(): Value {
    const t = this.next();
    if (t.t === "num") return { kind: "scalar", value: t.v };
    if (t.v === "(") {
      const v = this.expression(0);
      this.expect(")");
      return v;
    }
    if (t.v === "{") {
      // A selector without a metric name: every series, matched on __name__ among the rest.
      this.at -= 1;
      return this.selector(undefined);
    }
    if (t.t !== "id") throw new Error(`promql-subset: unexpected ${String(t.v)}`);
    if (t.v === "sum" || t.v === "count" || t.v === "min" || t.v === "topk") return this.aggregation(t.v);
    if (t.v === "time" && this.peek()?.v === "(") {
      this.expect("(");
      this.expect(")");
      return { kind: "scalar", value: this.time };
    }
    if (t.v === "vector" && this.peek()?.v === "(") {
      this.expect("(");
      const v = this.expression(0);
      this.expect(")");
      if (v.kind !== "scalar") throw new Error("promql-subset: vector() takes a number");
      return { kind: "vector", samples: [{ labels: {}, value: v.value }] };
    }
    if (FUNCTIONS[t.v] && this.peek()?.v === "(") return this.call(t.v);
    return this.selector(t.v);
  }

  private aggregation(op: "sum" | "count" | "min" | "topk"): Value {
    const grouping = this.next().v;
    if (grouping !== "by" && grouping !== "without") throw new Error(`promql-subset: ${op} needs by or without`);
    const listed = this.labelList();
    const kept = (key: string) => (grouping === "by" ? listed.includes(key) : !listed.includes(key));
    this.expect("(");
    let k = 0;
    if (op === "topk") {
      const param = this.expression(0);
      if (param.kind !== "scalar") throw new Error("promql-subset: topk takes a number first");
      k = param.value;
      this.expect(",");
    }
    const v = this.expression(0);
    this.expect(")");
    if (v.kind !== "vector") throw new Error(`promql-subset: ${op} of a scalar`);
    const groups = new Map<string, { labels: Labels; samples: Sample[] }>();
    for (const s of v.samples) {
      const labels = Object.fromEntries(Object.entries(s.labels).filter(([key]) => kept(key)));
      const key = signature(labels, { bool: false, mode: "ignoring", labels: [] });
      const g = groups.get(key) ?? { labels, samples: [] };
      g.samples.push(s);
      groups.set(key, g);
    }
    const out: Sample[] = [];
    for (const g of groups.values()) {
      const values = g.samples.map((s) => s.value);
      // topk keeps the samples themselves, labels and all: the largest k of each group.
      if (op === "topk") out.push(...[...g.samples].sort((a, b) => b.value - a.value).slice(0, k));
      else out.push({ labels: g.labels, value: op === "sum" ? values.reduce((a, b) => a + b, 0) : op === "count" ? values.length : Math.min(...values) });
    }
    return { kind: "vector", samples: out };
  }

  private call(fn: string): Value {
    this.expect("(");
    const arg = this.expression(0);
    if (RANGE_FUNCTIONS.has(fn)) this.range();
    const extra: number[] = [];
    while (this.peek()?.v === ",") {
      this.next();
      const v = this.expression(0);
      if (v.kind !== "scalar") throw new Error(`promql-subset: ${fn} takes scalar bounds`);
      extra.push(v.value);
    }
    this.expect(")");
    const f = FUNCTIONS[fn];
    if (!f || arg.kind !== "vector") throw new Error(`promql-subset: ${fn} of a scalar`);
    return { kind: "vector", samples: arg.samples.map((s) => ({ labels: s.labels, value: f(s.value, extra) })) };
  }

  /** `[7d]` and `offset 1m` after a selector: read past, as the store holds the latest sample in any range. */
  private range(): void {
    this.expect("[");
    this.duration("range");
    this.expect("]");
    if (this.peek()?.v !== "offset") return;
    this.next();
    this.duration("offset");
  }

  /** A Prometheus duration such as 5m, 7d or 1h30m (read as 1 and "h30m"), read past. */
  private duration(what: string): void {
    let parts = 0;
    while (this.peek()?.t === "num") {
      this.next();
      const unit = this.next();
      if (unit.t !== "id" || !/^(?:ms|s|m|h|d|w|y)(?:\d+(?:ms|s|m|h|d|w|y))*$/.test(unit.v)) throw new Error(`promql-subset: ${what} needs a duration unit, got ${String(unit.v)}`);
      parts += 1;
    }
    if (parts === 0) throw new Error(`promql-subset: ${what} needs a duration such as 5m`);
  }

  private selector(name: string | undefined): Value {
    const matchers: [label: string, op: string, value: string][] = [];
    if (this.peek()?.v === "{") {
      this.next();
      while (this.peek()?.v !== "}") {
        const label = this.next();
        const op = this.next().v;
        const value = this.next();
        if (label.t !== "id" || value.t !== "str" || !(op === "=" || op === "!=" || op === "=~" || op === "!~")) throw new Error("promql-subset: a matcher is label, = != =~ or !~, and a string");
        matchers.push([label.v, op, value.v]);
        // Matchers are separated by commas, as Prometheus requires.
        if (this.peek()?.v !== "}") this.expect(",");
      }
      this.expect("}");
    }
    const series = name === undefined ? [...this.store].flatMap(([n, samples]) => samples.map((s) => ({ labels: { __name__: n, ...s.labels }, value: s.value }))) : (this.store.get(name) ?? []);
    return { kind: "vector", samples: series.filter((s) => matchers.every(([k, op, v]) => matches(s.labels[k] ?? "", op, v))) };
  }
}

/** The value of a PromQL expression of the subset against the series in `store`. */
export function evaluatePromql(expr: string, store: SeriesStore, time = 0): Value {
  return new Parser(tokenize(expr), store, time).parse();
}
