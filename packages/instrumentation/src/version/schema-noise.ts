/**
 * What agent frameworks add to a tool's JSON schema without changing what the
 * model may call it with: the `$schema` dialect zod-to-json-schema stamps,
 * `additionalProperties: false` and `strict` that OpenAI strict mode wants,
 * empty `required` lists, an empty parameter object for a tool that takes
 * none. The OpenAI Agents SDK and LangChain add them on every call; a version
 * declared from plain JSON schema has none. Both sides are reduced alike, so
 * only a real difference changes the fingerprint.
 */
const DROPPED_KEYS = new Set(["$schema", "strict"]);

export function withoutSchemaNoise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSchemaNoise);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined || DROPPED_KEYS.has(key)) continue;
    if (key === "additionalProperties" && v === false) continue;
    if (key === "required" && Array.isArray(v)) {
      // The order of required names means nothing to the model.
      if (v.length > 0) out[key] = [...v].map(String).sort();
      continue;
    }
    out[key] = withoutSchemaNoise(v);
  }
  return out;
}

/** A tool's parameters reduced; an object schema with no properties is the same as no parameters. */
export function toolParameters(parameters: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!parameters) return undefined;
  const reduced = withoutSchemaNoise(parameters) as Record<string, unknown>;
  const keys = Object.keys(reduced);
  const properties = reduced.properties;
  const emptyProperties = properties === undefined || (typeof properties === "object" && properties !== null && Object.keys(properties).length === 0);
  if (keys.every((k) => k === "type" || k === "properties") && reduced.type === "object" && emptyProperties) return undefined;
  return reduced;
}
