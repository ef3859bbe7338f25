import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * What makes an agent version: the model, the system prompt, the tool
 * definitions and the generation parameters. Anything else (labels, notes)
 * does not change behaviour and so is not part of the hash.
 */
export const ToolDefinitionSchema = z
  .object({
    name: z.string().min(1, "a tool needs a name"),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

export const VersionSpecSchema = z.object({
  model: z.string().min(1, "model is required, e.g. \"gpt-4o-mini\""),
  systemPrompt: z.string().default(""),
  tools: z.array(ToolDefinitionSchema).default([]),
  params: z.record(z.string(), z.unknown()).default({}),
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
