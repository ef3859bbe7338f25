import { z } from "zod";

/**
 * Labels agent-canary itself sets or aggregates over: a user matcher or `by`
 * label on one of them would silently change what a gate compares.
 */
export const RESERVED_LABELS = [
  "deployment",
  "version_group",
  "version_hash",
  "rollout_id",
  "canary_percent",
  "assignment",
  "outcome",
  "quantity",
  "gate",
  "le",
  "alertname",
] as const;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** name op "value", as in a PromQL selector: =, !=, =~ or !~ and a double-quoted value. */
const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

function reservedIssue(name: string): string | undefined {
  if (name.startsWith("__")) return `"${name}": labels starting with __ are internal to Prometheus`;
  if ((RESERVED_LABELS as readonly string[]).includes(name)) return `"${name}" is a label agent-canary sets itself; choose an environment label such as cluster, namespace or job`;
  return undefined;
}

/** A label matcher every raw selector gets, e.g. `namespace="prod"` or `cluster=~"eu-.*"`. */
export const MatcherSchema = z
  .string({ error: 'a matcher is a string such as namespace="prod"' })
  .superRefine((text, ctx) => {
    const m = MATCHER.exec(text);
    if (!m) {
      ctx.addIssue(`"${text}" is not a label matcher; write name="value", name!="value", name=~"regex" or name!~"regex", e.g. namespace="prod"`);
      return;
    }
    // Group 1 (the label name) always takes part in a match.
    const issue = reservedIssue(String(m[1]));
    if (issue) ctx.addIssue(issue);
  })
  .transform((text) => text.trim());

/** A label kept apart in every aggregation, alert and join, e.g. cluster. */
export const ByLabelSchema = z
  .string({ error: "a by label is a label name such as cluster" })
  .regex(LABEL_NAME, "a label name is letters, digits and '_', not starting with a digit, e.g. cluster")
  .superRefine((name, ctx) => {
    const issue = reservedIssue(name);
    if (issue) ctx.addIssue(issue);
  });

/**
 * Where the agents' series come from, the way monitoring mixins take a `_config`:
 * `matchers` go into every raw selector, `by` labels into every aggregation, so two
 * environments (clusters, namespaces) running a deployment of the same name are
 * never summed into one arm.
 */
export interface Environment {
  readonly matchers: readonly string[];
  readonly by: readonly string[];
}
