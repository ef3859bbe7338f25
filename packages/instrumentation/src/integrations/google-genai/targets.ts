import { isObj } from "../../llm/fields.js";
import { isCtor, type PatchTarget } from "../../llm/targets.js";
import type { ApiShape } from "../../llm/wrap-create.js";
import { GeminiStreamAccumulator, geminiRequest, geminiResult } from "./payloads.js";

const GENERATE: ApiShape = {
  request: (params) => geminiRequest(params, false),
  result: geminiResult,
  accumulator: () => new GeminiStreamAccumulator(),
};

const GENERATE_STREAM: ApiShape = { ...GENERATE, request: (params) => geminiRequest(params, true) };

/**
 * The Models class of @google/genai. Its public generateContent and
 * generateContentStream are per-instance arrow functions; every model call
 * they make (automatic function calling and continuations included) goes
 * through the prototype's generateContentInternal / generateContentStreamInternal,
 * which are patched: one recorded call per request to the model.
 */
function modelsClass(value: unknown): { prototype: object } | undefined {
  const m = value as Record<string, unknown> | undefined;
  if (!m || (!isObj(m) && typeof m !== "function")) return undefined;
  const candidates: unknown[] = [m.Models, isObj(m.models) ? (m.models as { constructor?: unknown }).constructor : undefined, m.default && (m.default as Record<string, unknown>).Models];
  // The GoogleGenAI class itself: its `models` exists only on instances, so one is made (no request is sent).
  if (isCtor(m) && typeof m.prototype === "object" && m.name === "GoogleGenAI") {
    try {
      const probe = new (m as unknown as new (o: object) => { models?: { constructor?: unknown } })({ apiKey: "agent-canary-probe" });
      candidates.push(probe.models?.constructor);
    } catch {
      // A constructor that needs more than an API key: the module or a client instance still works.
    }
  }
  for (const c of candidates) {
    if (isCtor(c) && typeof (c.prototype as Record<string, unknown> | undefined)?.generateContentInternal === "function") return c as { prototype: object };
  }
  return undefined;
}

export function googleGenAiTargets(moduleOrClient: unknown): PatchTarget[] {
  const Models = modelsClass(moduleOrClient);
  if (!Models) return [];
  return [
    { proto: Models.prototype, method: "generateContentInternal", shape: GENERATE, label: "@google/genai models.generateContent" },
    { proto: Models.prototype, method: "generateContentStreamInternal", shape: GENERATE_STREAM, label: "@google/genai models.generateContentStream" },
  ];
}
