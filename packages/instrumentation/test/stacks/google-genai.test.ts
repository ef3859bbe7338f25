import { AgentCanaryInstrumentation, type AgentSession } from "@agent-canary/instrumentation";
import * as genai from "@google/genai";
import { type Content, GoogleGenAI, type GenerateContentResponse } from "@google/genai";
import { afterAll, expect, it } from "vitest";
import { describeStack } from "../helpers/stack-contract.js";
import { stackVersion } from "../helpers/stack-harness.js";

// gemini-2.5-flash: $0.30 / $2.50 per 1M, cached input $0.03.
const CALL_USD = (1000 * 0.3 + 200 * 0.03 + 300 * 2.5) / 1e6;
const instrumentation = new AgentCanaryInstrumentation({ enabled: false });
let ai: GoogleGenAI;

afterAll(() => instrumentation.disable());

it("instrument() takes the GoogleGenAI class, a client or the module", () => {
  expect(instrumentation.instrument(GoogleGenAI)).toEqual(["@google/genai models.generateContent", "@google/genai models.generateContentStream"]);
  // Already patched: the module and a client name the same methods.
  expect(instrumentation.instrument(genai)).toHaveLength(2);
});

/** A function-calling loop on generateContent (or its stream), built from the session's version. */
async function geminiAgent(s: AgentSession, runTool: (args: unknown) => Promise<unknown>, stream: boolean): Promise<string> {
  const v = s.version;
  const config = {
    systemInstruction: v.systemPrompt,
    tools: [{ functionDeclarations: v.tools.map((t) => ({ name: t.name, description: t.description, parametersJsonSchema: t.parameters })) }],
    ...v.params,
  };
  const contents: Content[] = [{ role: "user", parts: [{ text: "Where is my order A1?" }] }];
  for (let step = 0; step < 6; step++) {
    let text = "";
    const calls: { name?: string; args?: Record<string, unknown> }[] = [];
    const parts: NonNullable<Content["parts"]> = [];
    const take = (r: GenerateContentResponse) => {
      text += r.text ?? "";
      calls.push(...(r.functionCalls ?? []));
      parts.push(...(r.candidates?.[0]?.content?.parts ?? []));
    };
    if (stream) for await (const chunk of await ai.models.generateContentStream({ model: v.model, contents, config })) take(chunk);
    else take(await ai.models.generateContent({ model: v.model, contents, config }));
    if (calls.length === 0) return text;
    contents.push({ role: "model", parts });
    for (const call of calls) {
      const output = await s.tool(call.name ?? "", call.args ?? {}, () => runTool(call.args ?? {}));
      contents.push({ role: "user", parts: [{ functionResponse: { name: call.name ?? "", response: { output } } }] });
    }
  }
  return "";
}

for (const stream of [false, true]) {
  describeStack({
    name: `@google/genai ${stream ? "generateContentStream" : "generateContent"}`,
    version: stackVersion("gemini-2.5-flash", { temperature: 0.2 }),
    provider: "gcp.gemini",
    callUsd: CALL_USD,
    setup: ({ url }) => {
      instrumentation.instrument(GoogleGenAI);
      ai = new GoogleGenAI({ apiKey: "test", httpOptions: { baseUrl: url } });
    },
    run: (s, runTool) => geminiAgent(s, runTool, stream),
  });
}
