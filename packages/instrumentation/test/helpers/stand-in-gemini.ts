import type { Reply } from "./llm-stand-in.js";

/** Gemini generateContent wire shapes (the REST API @google/genai speaks). */
function usageMetadata(r: Reply) {
  if (!r.usage) return undefined;
  return {
    promptTokenCount: r.usage.input,
    candidatesTokenCount: r.usage.output,
    totalTokenCount: r.usage.input + r.usage.output,
    ...(r.usage.cached ? { cachedContentTokenCount: r.usage.cached } : {}),
  };
}

function parts(r: Reply) {
  return [...(r.text ? [{ text: r.text }] : []), ...(r.toolCalls ?? []).map((c) => ({ functionCall: { name: c.name, args: c.args } }))];
}

export function geminiResponse(r: Reply): unknown {
  return {
    candidates: [{ content: { role: "model", parts: parts(r) }, finishReason: "STOP", index: 0 }],
    usageMetadata: usageMetadata(r),
    modelVersion: r.model,
    responseId: `gemini-resp-${r.id}`,
  };
}

/** Streamed chunks: text first, function calls in their own chunk, usage on the last one. */
export function geminiStreamChunks(r: Reply): unknown[] {
  const chunks: unknown[] = [];
  if (r.text) for (const word of r.text.split(/(?= )/)) chunks.push({ candidates: [{ content: { role: "model", parts: [{ text: word }] }, index: 0 }], modelVersion: r.model });
  const calls = (r.toolCalls ?? []).map((c) => ({ functionCall: { name: c.name, args: c.args } }));
  if (calls.length > 0) chunks.push({ candidates: [{ content: { role: "model", parts: calls }, index: 0 }], modelVersion: r.model });
  chunks.push({ candidates: [{ content: { role: "model", parts: [{ text: "" }] }, finishReason: "STOP", index: 0 }], usageMetadata: usageMetadata(r), modelVersion: r.model, responseId: `gemini-resp-${r.id}` });
  return chunks;
}

export function geminiHasToolResult(body: Record<string, unknown>): boolean {
  const contents = (body.contents as { parts?: { functionResponse?: unknown }[] }[] | undefined) ?? [];
  return contents.some((c) => (c.parts ?? []).some((p) => p.functionResponse !== undefined));
}
