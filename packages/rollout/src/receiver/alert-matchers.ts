/**
 * Label matchers in Alertmanager's syntax, so a receiver acts only on its own environment's
 * alerts: `cluster="eu1"`, `{cluster="eu1", namespace=~"shop-.*"}`, `env!="staging"`.
 * Regexes are anchored at both ends, as in Alertmanager and PromQL. A label an alert does
 * not carry has the value "" (so `cluster!="eu1"` matches an alert without `cluster`).
 */
export interface AlertMatcher {
  name: string;
  op: "=" | "!=" | "=~" | "!~";
  value: string;
  /** The compiled, anchored regex of =~ and !~. */
  regex?: RegExp;
}

export class MatcherSyntaxError extends Error {
  override readonly name = "MatcherSyntaxError";
}

const MATCHER = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^,"{}\s]*)\s*(?:,|$)/y;

function unquote(raw: string): string {
  if (!raw.startsWith('"')) return raw;
  return raw.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
}

/** Parses one matcher set; throws MatcherSyntaxError saying where it stopped making sense. */
export function parseMatchers(text: string): AlertMatcher[] {
  let body = text.trim();
  if (body.startsWith("{") && body.endsWith("}")) body = body.slice(1, -1);
  const matchers: AlertMatcher[] = [];
  MATCHER.lastIndex = 0;
  while (MATCHER.lastIndex < body.length) {
    const start = MATCHER.lastIndex;
    const match = MATCHER.exec(body);
    if (!match?.[1] || !match[2] || match[0].length === 0) {
      throw new MatcherSyntaxError(`cannot read a matcher at "${body.slice(start, start + 30)}": write name="value", name!="value", name=~"regex" or name!~"regex", separated by commas, e.g. cluster="eu1"`);
    }
    const op = match[2] as AlertMatcher["op"];
    const value = unquote(match[3] ?? "");
    const matcher: AlertMatcher = { name: match[1], op, value };
    if (op === "=~" || op === "!~") {
      try {
        matcher.regex = new RegExp(`^(?:${value})$`);
      } catch (error) {
        throw new MatcherSyntaxError(`matcher ${match[1]}${op}"${value}": not a valid regex (${(error as Error).message})`);
      }
    }
    matchers.push(matcher);
  }
  if (matchers.length === 0) throw new MatcherSyntaxError(`no matcher in "${text}"; e.g. cluster="eu1"`);
  return matchers;
}

function matches(matcher: AlertMatcher, labels: Record<string, string>): boolean {
  const value = Object.hasOwn(labels, matcher.name) ? (labels[matcher.name] ?? "") : "";
  switch (matcher.op) {
    case "=":
      return value === matcher.value;
    case "!=":
      return value !== matcher.value;
    case "=~":
      return matcher.regex?.test(value) ?? false;
    case "!~":
      return !(matcher.regex?.test(value) ?? false);
  }
}

/** True when every matcher matches (an empty set matches everything). */
export function matchesAll(matchers: readonly AlertMatcher[], labels: Record<string, string>): boolean {
  return matchers.every((matcher) => matches(matcher, labels));
}

export function formatMatchers(matchers: readonly AlertMatcher[]): string {
  return `{${matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(", ")}}`;
}
