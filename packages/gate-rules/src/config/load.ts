import { readFile } from "node:fs/promises";
import { isNode, LineCounter, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { configErrorMap } from "./messages.js";
import { resolveConfig, type ConfigIssue, type GatesConfig } from "./resolve.js";
import { GatesConfigInputSchema, REMOVED_FIELDS } from "./schema.js";

/** One thing wrong with a config, located as precisely as the source allows. */
export interface ConfigProblem {
  readonly file: string;
  /** 1-based; a missing field is reported at the line of its parent (line 1 for an empty file). */
  readonly line: number | undefined;
  /** Dotted path such as gates[1].threshold. */
  readonly field: string;
  readonly message: string;
}

/** A config that cannot be used; nothing was generated or changed. */
export class GatesConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "GatesConfigError";
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ""}: ${p.field || "(top level)"}: ${p.message}`;
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), "");
}

/** The line of the deepest node along `path` that exists in the document; line 1 for an empty document. */
function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as (string | number)[], true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return 1;
}

/** What to do about a field earlier versions accepted, when `key` under `parent` is one. */
function removedFieldMessage(parent: readonly PropertyKey[], key: string): string | undefined {
  const table = parent.length === 0 ? REMOVED_FIELDS.top : parent.length === 2 && parent[0] === "gates" ? REMOVED_FIELDS.gate : {};
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function zodProblems(file: string, doc: Document, counter: LineCounter, error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => {
    let path: PropertyKey[] = issue.path;
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
      // Point at the (first) unknown key itself: that is the line to fix; zod names at least one.
      const [key] = issue.keys as [string, ...string[]];
      path = [...issue.path, key];
      message = removedFieldMessage(issue.path, key) ?? `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}; check the spelling against the config reference in README.md`;
    }
    return { file, line: lineOf(doc, counter, path), field: fieldName(path), message };
  });
}

function resolveProblems(file: string, doc: Document, counter: LineCounter, issues: ConfigIssue[]): ConfigProblem[] {
  return issues.map((i) => ({ file, line: lineOf(doc, counter, i.path), field: fieldName(i.path), message: i.message }));
}


/**
 * Parses gates config text (YAML, or JSON which is YAML too) into a resolved
 * config. Throws GatesConfigError listing every problem with its line.
 */
export function parseGatesConfig(text: string, file = "gates.yaml"): GatesConfig {
  const counter = new LineCounter();
  // Plain parser messages (no "at line L, column C" and source excerpt): the line goes in front.
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new GatesConfigError(
      doc.errors.map((e) => ({
        file,
        line: counter.linePos(e.pos[0]).line,
        field: "",
        message: `not valid YAML/JSON: ${e.message}; fix the syntax on this line (gates.yaml is a YAML mapping such as "deployments: [support-agent]")`,
      })),
    );
  }
  const parsed = GatesConfigInputSchema.safeParse(doc.toJS() ?? {}, { error: configErrorMap });
  if (!parsed.success) throw new GatesConfigError(zodProblems(file, doc, counter, parsed.error));
  const resolved = resolveConfig(parsed.data);
  if ("issues" in resolved) throw new GatesConfigError(resolveProblems(file, doc, counter, resolved.issues));
  return resolved.config;
}

export async function loadGatesConfig(path: string): Promise<GatesConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found; pass the path of your gates.yaml" : String(error);
    // Not a config problem but an I/O one: the CLI exits 2 for it.
    throw new Error(`${path}: ${reason}`);
  }
  return parseGatesConfig(text, path);
}
