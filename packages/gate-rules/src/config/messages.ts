import type { z } from "zod";

/** A value as a user would name what they wrote. */
function described(input: unknown): string {
  if (input === null) return "an empty value";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "string") return `the text "${input}"`;
  if (typeof input === "object") return "a mapping";
  return `the ${typeof input} ${String(input)}`;
}

const SHAPES: Readonly<Record<string, string>> = {
  object: "a mapping of fields (one `name: value` per line)",
  array: 'a list ([a, b], or one "- item" per line)',
  string: "text",
  number: "a number",
  int: "a whole number",
};

/**
 * The message for a config field whose schema gives none of its own: zod's defaults
 * ("Invalid input: expected object, received array") name zod's types, not what to
 * write. Passed to safeParse, so any message a schema sets still wins.
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_type") {
    const shape = SHAPES[issue.expected] ?? issue.expected;
    return issue.input === undefined ? `required: ${shape}` : `must be ${shape}, not ${described(issue.input)}`;
  }
  // Every size check in the config without a message of its own is on a list, a text or a
  // number (a stage's percent, duration and sessions), and every number range includes its bounds.
  switch (issue.code) {
    case "too_small":
      if (issue.origin === "array") return `must list at least ${String(issue.minimum)}`;
      return issue.origin === "string" ? "must not be empty" : `must be at least ${String(issue.minimum)}`;
    case "too_big":
      return `must be at most ${String(issue.maximum)}`;
    case "invalid_format":
      return issue.format === "url" ? "must be an absolute URL such as https://example.com/runbooks" : undefined;
    default:
      return undefined;
  }
};
