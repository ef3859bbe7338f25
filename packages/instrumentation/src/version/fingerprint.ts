import { type ParsedVersionSpec, versionHash } from "@agent-canary/conventions";
import type { LlmRequest } from "../llm/types.js";

/**
 * The version an LLM request reveals: its model, system prompt, tool
 * definitions and, of the params the declared version names, the values the
 * request sends. Params the declaration does not name (stream, user, ...) are
 * not part of the comparison.
 */
export function observedFingerprint(request: LlmRequest, declared: ParsedVersionSpec): string {
  const params: Record<string, unknown> = {};
  for (const key of Object.keys(declared.params)) {
    if (request.body[key] !== undefined) params[key] = request.body[key];
  }
  return versionHash({ model: request.model, systemPrompt: request.systemPrompt, tools: request.tools, params });
}

/**
 * The declared version reduced the way requests are observed (tools to name,
 * description and parameters), so extra keys in a declaration do not read as
 * a mismatch on every call.
 */
export function declaredFingerprint(declared: ParsedVersionSpec): string {
  return versionHash({
    model: declared.model,
    systemPrompt: declared.systemPrompt,
    tools: declared.tools.map((t) => ({
      name: t.name,
      description: t.description,
      parameters: t.parameters,
    })),
    params: declared.params,
  });
}

/** Which parts differ, for a warning a human can act on. */
export function describeMismatch(request: LlmRequest, declared: ParsedVersionSpec): string[] {
  const parts: string[] = [];
  if (request.model !== declared.model.trim()) parts.push(`model "${request.model}" (declared "${declared.model}")`);
  if (versionHash({ model: "x", systemPrompt: request.systemPrompt }) !== versionHash({ model: "x", systemPrompt: declared.systemPrompt })) {
    parts.push("system prompt");
  }
  const observedTools = request.tools.map((t) => t.name).sort().join(",");
  const declaredTools = declared.tools.map((t) => t.name).sort().join(",");
  if (observedTools !== declaredTools) parts.push(`tools [${observedTools}] (declared [${declaredTools}])`);
  else if (parts.length === 0) parts.push("tool definitions or params");
  return parts;
}
