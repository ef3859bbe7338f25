import * as bedrock from "@aws-sdk/client-bedrock-runtime";
import { BedrockRuntimeClient, type ContentBlock, ConverseCommand, ConverseStreamCommand, type Message } from "@aws-sdk/client-bedrock-runtime";
import { AgentCanaryInstrumentation, type AgentSession } from "@agent-canary/instrumentation";
import { afterAll, expect, it } from "vitest";
import { describeStack } from "../helpers/stack-contract.js";
import { NORMAL_USAGE, stackVersion } from "../helpers/stack-harness.js";

// anthropic.claude-3-5-haiku on Bedrock: $0.80 / $4 per 1M, cache reads $0.08; Bedrock reports cache reads apart from inputTokens.
const CALL_USD = (1200 * 0.8 + 200 * 0.08 + 300 * 4) / 1e6;
const instrumentation = new AgentCanaryInstrumentation({ enabled: false });
let client: BedrockRuntimeClient;

afterAll(() => instrumentation.disable());

it("instrument() takes the module or the client class", () => {
  expect(instrumentation.instrument(bedrock)).toEqual(["@aws-sdk/client-bedrock-runtime send(Converse | ConverseStream)"]);
});

/** A tool-use loop on Converse (or ConverseStream), built from the session's version. */
async function converseAgent(s: AgentSession, runTool: (args: unknown) => Promise<unknown>, stream: boolean): Promise<string> {
  const v = s.version;
  const input = {
    modelId: v.model,
    system: [{ text: v.systemPrompt }],
    toolConfig: { tools: v.tools.map((t) => ({ toolSpec: { name: t.name, description: t.description, inputSchema: { json: t.parameters as never } } })) },
    inferenceConfig: v.params,
  };
  const messages: Message[] = [{ role: "user", content: [{ text: "Where is my order A1?" }] }];
  for (let step = 0; step < 6; step++) {
    const content: ContentBlock[] = [];
    if (stream) {
      const out = await client.send(new ConverseStreamCommand({ ...input, messages }));
      const uses = new Map<number, { toolUseId?: string; name?: string; json: string }>();
      let text = "";
      for await (const event of out.stream ?? []) {
        const start = event.contentBlockStart?.start?.toolUse;
        if (start) uses.set(event.contentBlockStart?.contentBlockIndex ?? 0, { toolUseId: start.toolUseId, name: start.name, json: "" });
        const delta = event.contentBlockDelta;
        if (delta?.delta?.text) text += delta.delta.text;
        if (delta?.delta?.toolUse?.input) uses.get(delta.contentBlockIndex ?? 0)!.json += delta.delta.toolUse.input;
      }
      if (text) content.push({ text });
      for (const u of uses.values()) content.push({ toolUse: { toolUseId: u.toolUseId, name: u.name, input: JSON.parse(u.json) as never } });
    } else {
      const out = await client.send(new ConverseCommand({ ...input, messages }));
      content.push(...(out.output?.message?.content ?? []));
    }
    const uses = content.filter((b) => b.toolUse).map((b) => b.toolUse!);
    if (uses.length === 0) return content.map((b) => b.text ?? "").join("");
    messages.push({ role: "assistant", content });
    for (const use of uses) {
      const output = await s.tool(use.name ?? "", use.input, () => runTool(use.input), { callId: use.toolUseId ?? "" });
      messages.push({ role: "user", content: [{ toolResult: { toolUseId: use.toolUseId, content: [{ json: output as never }] } }] });
    }
  }
  return "";
}

for (const stream of [false, true]) {
  describeStack({
    name: `@aws-sdk/client-bedrock-runtime ${stream ? "ConverseStream" : "Converse"}`,
    version: stackVersion("anthropic.claude-3-5-haiku-20241022-v1:0", { temperature: 0.2 }),
    provider: "aws.bedrock",
    callUsd: CALL_USD,
    inputTokens: NORMAL_USAGE.input + (NORMAL_USAGE.cached ?? 0),
    setup: ({ h2cUrl: url }) => {
      instrumentation.instrument(BedrockRuntimeClient);
      client = new BedrockRuntimeClient({ region: "us-east-1", endpoint: url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
    },
    run: (s, runTool) => converseAgent(s, runTool, stream),
  });
}
