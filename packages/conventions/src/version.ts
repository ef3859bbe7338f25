import { createHash } from "node:crypto";
import { z } from "zod";

const MODEL_REQUIRED = 'model is required, e.g. "gpt-4o-mini"';

function hasOwnProtoKey(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.hasOwn(value, "__proto__");
}

/**
 * zod drops an own `__proto__` key from every object and record it parses, on
 * purpose and without an issue, so two specs differing only in it would hash
 * alike. A version that holds one is refused instead, naming where: it is
 * never a real tool field or generation parameter, and code that copies
 * params with assignment (Object.assign) would set a prototype with it.
 * Deeper inside a value (a parameter's own object) it is kept and hashed.
 */
function refusingProtoKey<Output, Input>(schema: z.ZodType<Output, Input>, what: string) {
  return z
    .custom<Input>((value) => !hasOwnProtoKey(value), {
      error: `the key "__proto__" in ${what} cannot be part of a version (JavaScript objects take it as their prototype: it would be dropped, and two versions differing only in it would hash alike); rename or remove it`,
    })
    .pipe(schema);
}

/**
 * What makes an agent version: the model, the system prompt, the tool
 * definitions and the generation parameters. Anything else (labels, notes)
 * does not change behaviour and so is not part of the hash.
 */
export const ToolDefinitionSchema = refusingProtoKey(
  z
    .object({
      name: z.string().min(1, "a tool needs a name"),
      description: z.string().optional(),
      parameters: refusingProtoKey(z.record(z.string(), z.unknown()), "a tool's parameters").optional(),
    })
    .loose(),
  "a tool definition",
);

export const VersionSpecSchema = z.object({
  // A missing model gets the same message as an empty one, not zod's "expected string, received undefined".
  model: z.string({ error: (issue) => (issue.input === undefined ? MODEL_REQUIRED : 'model must be a string, e.g. "gpt-4o-mini"') }).min(1, MODEL_REQUIRED),
  systemPrompt: z.string().default(""),
  tools: z.array(ToolDefinitionSchema).default([]),
  params: refusingProtoKey(z.record(z.string(), z.unknown()), "params").default({}),
  /** Free text for humans; not hashed. */
  label: z.string().optional(),
});
export type VersionSpec = z.input<typeof VersionSpecSchema>;
export type ParsedVersionSpec = z.output<typeof VersionSpecSchema>;

export const VersionHashSchema = z
  .string()
  .regex(/^[0-9a-f]{16}$/, "a version hash is 16 lowercase hex characters");
export type VersionHash = z.infer<typeof VersionHashSchema>;

/** Orders strings by UTF-16 code units, the order RFC 8785 gives object keys. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Canonical JSON: object keys sorted, no insignificant whitespace, undefined
 * members dropped. Two specs that differ only in key order or JSON formatting
 * serialise to the same string. On JSON values this is RFC 8785 (JCS), so any JCS
 * implementation recomputes a version hash.
 */
export function canonicalJson(value: unknown): string {
  // JSON.stringify writes NaN and ±Infinity as null, and returns undefined for
  // undefined, functions and symbols.
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => compareCodeUnits(a, b));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** Line endings and trailing blanks are formatting, not behaviour. */
function normalisePrompt(prompt: string): string {
  return prompt.replace(/\r\n?/g, "\n").replace(/[ \t]+$/gm, "").trim();
}

/** The hashed identity of a version: everything that changes behaviour. */
export function versionIdentity(spec: VersionSpec): unknown {
  const parsed = VersionSpecSchema.parse(spec);
  return {
    model: parsed.model.trim(),
    systemPrompt: normalisePrompt(parsed.systemPrompt),
    // Tool order is not significant to the model API: sort by name, and tools sharing a
    // name (APIs reject them, but an observed request may carry them) by content.
    tools: parsed.tools
      .map((tool) => ({ tool, canonical: canonicalJson(tool) }))
      .sort((a, b) => compareCodeUnits(a.tool.name, b.tool.name) || compareCodeUnits(a.canonical, b.canonical))
      .map(({ tool }) => tool),
    params: parsed.params,
  };
}

/** 16 hex chars (64 bits) of SHA-256 over the canonical identity. */
export function versionHash(spec: VersionSpec): VersionHash {
  return createHash("sha256").update(canonicalJson(versionIdentity(spec))).digest("hex").slice(0, 16);
}
