import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { z } from "zod";

export class JsonlLineError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
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
   * A last line that is not valid JSON is what a crash in the middle of an
   * append leaves. Given this, such a line is reported here and skipped;
   * without it, it is an error like any other.
   */
  readonly onTruncatedLastLine?: (error: JsonlLineError) => void;
}

/**
 * Reads a JSONL file line by line, checking each line against `schema`.
 * Blank lines are skipped; the first bad line stops the read with its file
 * and line number, so a 100k-line file is fixed at the right place.
 */
export async function* readJsonl<S extends z.ZodType>(
  file: string,
  schema: S,
  hint: string,
  options: ReadJsonlOptions = {},
): AsyncGenerator<{ line: number; value: z.output<S> }> {
  const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
  let line = 0;
  // Not valid JSON: an error unless it turns out to be the last line.
  let unparsable: JsonlLineError | undefined;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === "") continue;
    if (unparsable) throw unparsable;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      unparsable = new JsonlLineError(file, line, `not valid JSON (${(error as Error).message}); each line must be one JSON object`);
      continue;
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new JsonlLineError(file, line, `${describeIssues(parsed.error.issues)}. ${hint}`);
    yield { line, value: parsed.data };
  }
  if (unparsable && options.onTruncatedLastLine) options.onTruncatedLastLine(unparsable);
  else if (unparsable) throw unparsable;
}

/** The whole file, checked; for files that fit in memory (reports). */
export async function readAllJsonl<S extends z.ZodType>(file: string, schema: S, hint: string, options: ReadJsonlOptions = {}): Promise<z.output<S>[]> {
  const values: z.output<S>[] = [];
  for await (const { value } of readJsonl(file, schema, hint, options)) values.push(value);
  return values;
}
