import { readFile } from "node:fs/promises";
import { fieldErrorMap } from "@agent-canary/conventions";
import { LineCounter, isNode, parseDocument } from "yaml";
import type { z } from "zod";

/** A config file that cannot be used; the message names the file, the line and field where known, and the fix. */
export class ConfigFileError extends Error {
  override readonly name = "ConfigFileError";
}

/**
 * Reads a YAML (or JSON) file and validates it with `schema`. A schema error names
 * the field's zod path and its line in the file, followed by `hint`.
 */
export async function readYamlFile<S extends z.ZodType>(label: string, path: string, schema: S, hint: string): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigFileError(`${label}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return parseYamlText(path, text, schema, hint);
}

/** Validates YAML (or JSON) text already read from `path`; errors as for readYamlFile. */
export function parseYamlText<S extends z.ZodType>(path: string, text: string, schema: S, hint: string): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const syntax = doc.errors[0];
  if (syntax) throw new ConfigFileError(`${path}: not valid YAML or JSON: ${syntax.message.split("\n")[0]}`);
  const result = schema.safeParse(doc.toJS(), { error: fieldErrorMap });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  // An unknown key is reported on its parent; name the key itself, and its line (a typo is the usual cause).
  const unknown = issue?.code === "unrecognized_keys" ? issue.keys[0] : undefined;
  const fieldPath = [...(issue?.path.map(String) ?? []), ...(unknown === undefined ? [] : [unknown])];
  const node = fieldPath.length ? doc.getIn(fieldPath, true) : undefined;
  const where = isNode(node) && node.range ? `:${lineCounter.linePos(node.range[0]).line}` : "";
  const message = unknown === undefined ? (issue?.message ?? "invalid") : "not a setting here (a typo?)";
  throw new ConfigFileError(`${path}${where}: field "${fieldPath.join(".")}": ${message}; ${hint}`);
}
