import type { z } from "zod";

/**
 * What a field should hold, in the words of someone writing YAML or JSON by hand
 * (zod's own names, "object" or "int", are its types, not what to write).
 */
const SHAPES: Readonly<Record<string, string>> = {
  object: "a mapping of fields (one `name: value` per line)",
  array: 'a list ([a, b], or one "- item" per line)',
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  function: "a function",
};

/** Longest text quoted back: a whole prompt pasted into the wrong field would bury the message. */
const QUOTED_CHARS = 60;

/** A value as a user would name what they wrote. */
function described(input: unknown, showValues: boolean): string {
  if (input === null) return "an empty value";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a mapping";
  if (!showValues) return typeof input === "string" ? "text" : `a ${typeof input}`;
  if (typeof input === "string") return input.length > QUOTED_CHARS ? `a text of ${String(input.length)} characters` : `the text "${input}"`;
  return `the ${typeof input} ${String(input)}`;
}

type SizeIssue = z.core.$ZodRawIssue<z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig>;

/** "at least 3" or "more than 0": a bound that excludes its own value says so. */
function bound(issue: SizeIssue, value: number | bigint, inclusive: string, exclusive: string): string {
  return `${issue.inclusive === false ? exclusive : inclusive} ${String(value)}`;
}

function tooSmall(issue: z.core.$ZodRawIssue<z.core.$ZodIssueTooSmall>): string {
  const at = bound(issue, issue.minimum, "at least", "more than");
  if (issue.origin === "array" || issue.origin === "set") return `must list ${at} item${issue.minimum === 1 ? "" : "s"}`;
  if (issue.origin === "string") return issue.minimum === 1 ? "must not be empty" : `must be ${at} characters long`;
  return `must be ${at}`;
}

function tooBig(issue: z.core.$ZodRawIssue<z.core.$ZodIssueTooBig>): string {
  const at = bound(issue, issue.maximum, "at most", "less than");
  if (issue.origin === "array" || issue.origin === "set") return `must list ${at} item${issue.maximum === 1 ? "" : "s"}`;
  if (issue.origin === "string") return `must be ${at} characters long`;
  return `must be ${at}`;
}

export interface FieldMessageOptions {
  /**
   * Quote the value the user wrote ("not the text "eighty""). Off where values may be
   * private (an agent's answer): the message then names only its kind ("not a number").
   */
  readonly showValues?: boolean;
}

/**
 * The message for a field whose schema gives none of its own, or undefined to leave
 * zod's. Covers wrong types, missing fields and sizes; anything else (formats, enums,
 * custom checks) is better said by the schema itself.
 */
export function fieldMessage(issue: z.core.$ZodRawIssue, options: FieldMessageOptions = {}): string | undefined {
  if (issue.code === "invalid_type") {
    const shape = SHAPES[issue.expected] ?? issue.expected;
    return issue.input === undefined ? `required: ${shape}` : `must be ${shape}, not ${described(issue.input, options.showValues ?? true)}`;
  }
  if (issue.code === "too_small") return tooSmall(issue);
  if (issue.code === "too_big") return tooBig(issue);
  return undefined;
}

/**
 * The error map for a boundary people write by hand (config files, flags): pass it to
 * safeParse (`{ error: fieldErrorMap }`), so any message a schema sets still wins.
 */
export const fieldErrorMap: z.core.$ZodErrorMap = (issue) => fieldMessage(issue);

/**
 * The first issue of a failed parse: the field as a dotted path ("" for the value
 * itself) and its message. Every boundary reports one issue, the first, with its field.
 */
export function firstIssue(error: z.ZodError): { readonly field: string; readonly message: string } {
  const issue = error.issues[0];
  return { field: issue ? issue.path.map(String).join(".") : "", message: issue?.message ?? error.message };
}

/** As fieldErrorMap, without quoting values: for data that may be private (answers, SDK replies). */
export const privateFieldErrorMap: z.core.$ZodErrorMap = (issue) => fieldMessage(issue, { showValues: false });
