import { GoogleGenAI } from "@google/genai";
import { SYSTEM_PROMPT, TOOLS } from "../canned.ts";
import type { Kind } from "../variants.ts";
import { type BenchStack, fetchReturning } from "./types.ts";

const MODEL = "gemini-2.5-flash";

const body = (n: number) =>
  JSON.stringify({
    candidates: [{ content: { role: "model", parts: [{ functionCall: { name: "lookup_order", args: { order_id: `A-${1000 + (n % 16)}` } } }] }, finishReason: "STOP", index: 0 }],
    usageMetadata: { promptTokenCount: 412, candidatesTokenCount: 38, totalTokenCount: 450 },
    modelVersion: MODEL,
    responseId: `gemini-bench-${n}`,
  });

export const googleGenAiStack: BenchStack = {
  model: MODEL,
  async load(_kind: Kind) {
    // @google/genai calls the global fetch; this process runs one variant only.
    globalThis.fetch = fetchReturning(body);
    const ai = new GoogleGenAI({ apiKey: "bench", httpOptions: { baseUrl: "http://127.0.0.1:9" } });
    const config = {
      systemInstruction: SYSTEM_PROMPT,
      temperature: 0.2,
      tools: [{ functionDeclarations: TOOLS.map((t) => ({ name: t.function.name, description: t.function.description, parametersJsonSchema: t.function.parameters })) }],
    };
    return {
      call: (turn: number) => ai.models.generateContent({ model: MODEL, contents: `Where is my order A-${1000 + (turn % 16)}?`, config }),
      describe: "@google/genai 3 models.generateContent",
      instrumentTarget: GoogleGenAI,
    };
  },
};
