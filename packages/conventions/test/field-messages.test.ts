// The shared wording for a field a schema gives no message of its own: what a user
// reads in gates.yaml, receiver.yaml, shadow options and instrumentation options errors.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fieldErrorMap, firstIssue, privateFieldErrorMap } from "../src/index.js";

/** The one message `value` is refused with under `schema` and `map`. */
function messageOf(schema: z.ZodType, value: unknown, map: z.core.$ZodErrorMap = fieldErrorMap): string {
  const parsed = schema.safeParse(value, { error: map });
  if (parsed.success) throw new Error(`expected ${JSON.stringify(value)} to be refused`);
  expect(parsed.error.issues).toHaveLength(1);
  return parsed.error.issues[0]?.message ?? "";
}

describe("fieldErrorMap", () => {
  it.each([
    [z.number(), "eighty", 'must be a number, not the text "eighty"'],
    [z.number().int(), 1.5, "must be a whole number, not the number 1.5"],
    [z.string(), 7, "must be text, not the number 7"],
    [z.boolean(), "yes", 'must be true or false, not the text "yes"'],
    [z.string(), null, "must be text, not an empty value"],
    [z.array(z.string()), { user: "ops" }, 'must be a list ([a, b], or one "- item" per line), not a mapping'],
    [z.object({}), [1], "must be a mapping of fields (one `name: value` per line), not a list"],
    [z.object({}), false, "must be a mapping of fields (one `name: value` per line), not the boolean false"],
    [z.function(), "run", 'must be a function, not the text "run"'],
  ] as const)("names what to write and what was written: %o refuses %o", (schema, value, message) => {
    expect(messageOf(schema, value)).toBe(message);
  });

  it("names a long text by its length instead of quoting it", () => {
    expect(messageOf(z.number(), "x".repeat(60))).toBe(`must be a number, not the text "${"x".repeat(60)}"`);
    expect(messageOf(z.number(), "x".repeat(61))).toBe("must be a number, not a text of 61 characters");
  });

  it("calls a missing field required and says what it holds", () => {
    expect(messageOf(z.object({ port: z.number() }), {})).toBe("required: a number");
  });

  it.each([
    [z.number().min(4), 3, "must be at least 4"],
    [z.number().positive(), 0, "must be more than 0"],
    [z.number().max(100), 120, "must be at most 100"],
    [z.number().lt(1), 1, "must be less than 1"],
    [z.array(z.string()).min(1), [], "must list at least 1 item"],
    [z.array(z.string()).min(2), ["a"], "must list at least 2 items"],
    [z.array(z.string()).max(1), ["a", "b"], "must list at most 1 item"],
    [z.array(z.string()).max(2), ["a", "b", "c"], "must list at most 2 items"],
    [z.set(z.string()).min(1), new Set(), "must list at least 1 item"],
    [z.set(z.string()).max(1), new Set(["a", "b"]), "must list at most 1 item"],
    [z.string().min(1), "", "must not be empty"],
    [z.string().min(3), "ab", "must be at least 3 characters long"],
    [z.string().max(3), "abcd", "must be at most 3 characters long"],
  ] as const)("says the bound and whether it is allowed: %o refuses %o", (schema, value, message) => {
    expect(messageOf(schema, value)).toBe(message);
  });

  it("leaves a schema's own message and the checks it does not cover alone", () => {
    expect(messageOf(z.number({ error: "port must be a number, e.g. 8080" }), "x")).toBe("port must be a number, e.g. 8080");
    expect(messageOf(z.number().min(1, "give 1 or more"), 0)).toBe("give 1 or more");
    expect(messageOf(z.enum(["a", "b"]), "c")).toBe(z.enum(["a", "b"]).safeParse("c").error?.issues[0]?.message);
  });
});

describe("privateFieldErrorMap", () => {
  it("names the kind of value, never the value itself", () => {
    expect(messageOf(z.string(), 42, privateFieldErrorMap)).toBe("must be text, not a number");
    expect(messageOf(z.number(), "card 4111 1111", privateFieldErrorMap)).toBe("must be a number, not text");
    expect(messageOf(z.number(), true, privateFieldErrorMap)).toBe("must be a number, not a boolean");
    expect(messageOf(z.number(), [1], privateFieldErrorMap)).toBe("must be a number, not a list");
  });

  it("words sizes and missing fields as fieldErrorMap does", () => {
    expect(messageOf(z.number().min(0), -1, privateFieldErrorMap)).toBe("must be at least 0");
    expect(messageOf(z.object({ output: z.string() }), {}, privateFieldErrorMap)).toBe("required: text");
  });
});

describe("firstIssue", () => {
  it("names the first bad field by its dotted path, list indexes included, with its message", () => {
    const schema = z.object({ alerts: z.array(z.object({ status: z.string() })), version: z.string() });
    const parsed = schema.safeParse({ alerts: [{ status: "firing" }, { status: 7 }], version: 4 }, { error: fieldErrorMap });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(firstIssue(parsed.error)).toEqual({ field: "alerts.1.status", message: "must be text, not the number 7" });
  });

  it("gives an empty field when the value itself is wrong", () => {
    const parsed = z.string().safeParse(3, { error: privateFieldErrorMap });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(firstIssue(parsed.error)).toEqual({ field: "", message: "must be text, not a number" });
  });

  it("gives an empty field and the error's own message for an error without issues", () => {
    const error = new z.ZodError([]);
    expect(firstIssue(error)).toEqual({ field: "", message: error.message });
  });
});
