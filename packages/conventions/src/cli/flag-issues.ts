import type { z } from "zod";
import { usageError } from "./cli-error.js";

/** `timeoutMs` → `--timeout-ms`: commander's option key back to the flag a user typed. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Where a field came from when it is not `--<kebab-case of its key>` (e.g. a positional argument or a renamed flag). */
export type FlagNames = Readonly<Record<string, string>>;

/**
 * One zod issue of a flags object as the line a user reads: the flag, the value
 * given, and the schema's message (which says the fix), e.g.
 * `--examples -1: must be 0 or more`.
 */
export function flagIssueMessage(issue: z.core.$ZodIssue | undefined, given: Readonly<Record<string, unknown>> = {}, names: FlagNames = {}): string {
  const key = String(issue?.path[0] ?? "");
  const flag = names[key] ?? (key ? flagName(key) : "flags");
  const value = given[key];
  const shown = typeof value === "string" || typeof value === "number" ? ` ${String(value)}` : "";
  return `${flag}${shown}: ${issue?.message ?? "invalid"}`;
}

/**
 * Parses the flags commander hands over (strings until checked) with a zod
 * schema; a bad value throws a usage error (exit 2) naming the flag and the fix.
 */
export function parseFlags<S extends z.ZodType>(schema: S, raw: Readonly<Record<string, unknown>>, names: FlagNames = {}): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw usageError(flagIssueMessage(parsed.error.issues[0], raw, names));
}
