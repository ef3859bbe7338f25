import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { privateFieldErrorMap } from "@agent-canary/conventions";
import type { z } from "zod";

export class JsonlLineError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    /** What is wrong with the line, without the file's general hint. */
    readonly detail: string,
    hint?: string,
  ) {
    super(`${file}:${line}: ${detail}${hint ? `. ${hint}` : ""}`);
    this.name = "JsonlLineError";
  }
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `field "${i.path.join(".") || "(line)"}": ${i.message}`)
    .join("; ");
}

export interface ReadJsonlOptions {
  /**
   * Given this, a bad line (not JSON, or not matching the schema) is handed
   * here and skipped, and reading goes on. Without it the first bad line
   * stops the read.
   */
  readonly onBadLine?: (error: JsonlLineError) => void;
}

const CUT_SHORT = " (the last line: a write cut short by a crash?)";

/**
 * Reads a JSONL file line by line, checking each line against `schema`.
 * Blank lines are skipped; a bad line is named by file and line number, so a
 * 100k-line file is fixed at the right place.
 */
export async function* readJsonl<S extends z.ZodType>(
  file: string,
  schema: S,
  hint: string,
  options: ReadJsonlOptions = {},
): AsyncGenerator<{ line: number; value: z.output<S> }> {
  const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
  const bad = (error: JsonlLineError) => {
    if (!options.onBadLine) throw error;
    options.onBadLine(error);
  };
  let line = 0;
  // Not valid JSON: reported once we know whether it was the last line.
  let unparsable: { line: number; message: string } | undefined;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === "") continue;
    if (unparsable) bad(new JsonlLineError(file, unparsable.line, unparsable.message));
    unparsable = undefined;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      unparsable = { line, message: `not valid JSON (${(error as Error).message}); each line must be one JSON object` };
      continue;
    }
    const parsed = schema.safeParse(json, { error: privateFieldErrorMap });
    if (!parsed.success) {
      bad(new JsonlLineError(file, line, describeIssues(parsed.error.issues), hint));
      continue;
    }
    yield { line, value: parsed.data };
  }
  if (unparsable) bad(new JsonlLineError(file, unparsable.line, `${unparsable.message}${CUT_SHORT}`));
}

/** The whole file, checked; for files that fit in memory (reports). */
export async function readAllJsonl<S extends z.ZodType>(file: string, schema: S, hint: string, options: ReadJsonlOptions = {}): Promise<z.output<S>[]> {
  const values: z.output<S>[] = [];
  for await (const { value } of readJsonl(file, schema, hint, options)) values.push(value);
  return values;
}
