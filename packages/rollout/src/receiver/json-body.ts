/**
 * How deep a JSON text nests, counted without parsing it: brackets outside strings. Stops
 * as soon as `limit` is passed, so a hostile body costs one linear scan at most.
 */
export function nestingExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

export type JsonBody = { ok: true; value: unknown } | { ok: false; reason: "invalid_json" | "too_deep"; message: string };

/** Parses a webhook body once its sender is authenticated; depth is checked before JSON.parse allocates anything. */
export function parseJsonBody(text: string, maxDepth: number): JsonBody {
  if (nestingExceeds(text, maxDepth)) return { ok: false, reason: "too_deep", message: `body nests deeper than ${maxDepth} levels; webhook payloads nest 4` };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, reason: "invalid_json", message: `body is not valid JSON: ${(error as Error).message}` };
  }
}
