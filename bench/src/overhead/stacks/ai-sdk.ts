import { createOpenAI } from "@ai-sdk/openai";
import { OpenTelemetry } from "@ai-sdk/otel";
import * as ai from "ai";
import { generateText, jsonSchema, registerTelemetry, tool } from "ai";
import { cannedFetch, MODEL, SYSTEM_PROMPT, TOOLS } from "../canned.ts";
import type { OtelHandles } from "../otel-setup.ts";
import type { Kind } from "../variants.ts";
import type { BenchStack } from "./types.ts";

/**
 * generateText with a tool the model asks for (no execute, so one step per call) on @ai-sdk/openai chat.
 * agent-canary joins as ai 7's telemetry integration (`instrument(ai)`, what the preload does), or
 * `through: "middleware"` as language-model middleware on the model object (`instrument(model)`,
 * the same as wrapLanguageModel with agentCanaryMiddleware()), with no telemetry integration registered.
 */
export const aiSdkStack = (through: "telemetry" | "middleware"): BenchStack => ({
  model: MODEL,
  async load(kind: Kind, otel: OtelHandles) {
    if (kind === "peer") registerTelemetry(new OpenTelemetry({ tracer: otel.tracerProvider.getTracer("ai") } as never));
    const model = createOpenAI({ apiKey: "sk-bench", baseURL: "http://127.0.0.1:9/v1", fetch: cannedFetch() }).chat(MODEL);
    const def = TOOLS[0]!.function;
    const tools = { [def.name]: tool({ description: def.description, inputSchema: jsonSchema(def.parameters as never) }) };
    return {
      call: (turn: number) => generateText({ model, system: SYSTEM_PROMPT, temperature: 0.2, tools, maxRetries: 0, prompt: `Where is my order A-${1000 + (turn % 16)}?` }),
      describe: `ai 7 generateText on @ai-sdk/openai chat${kind === "peer" ? " + @ai-sdk/otel OpenTelemetry integration" : ""}${kind === "ours" && through === "middleware" ? " (agent-canary as middleware on the model)" : ""}`,
      instrumentTarget: through === "telemetry" ? ai : model,
    };
  },
});
