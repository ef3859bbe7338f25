import { Readable } from "node:stream";
import * as bedrock from "@aws-sdk/client-bedrock-runtime";
import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { HttpResponse } from "@smithy/protocol-http";
import { SYSTEM_PROMPT, TOOLS } from "../canned.ts";
import type { Kind } from "../variants.ts";
import type { BenchStack } from "./types.ts";

const MODEL = "amazon.nova-lite-v1:0";

const body = (n: number) =>
  JSON.stringify({
    output: { message: { role: "assistant", content: [{ toolUse: { toolUseId: `tooluse_${n}`, name: "lookup_order", input: { order_id: `A-${1000 + (n % 16)}` } } }] } },
    stopReason: "tool_use",
    usage: { inputTokens: 412, outputTokens: 38, totalTokens: 450 },
    metrics: { latencyMs: 5 },
  });

/** A request handler answering every request with the canned Converse body: the client does its real signing, serialising and parsing. */
function cannedHandler() {
  let n = 0;
  return {
    metadata: { handlerProtocol: "h2" },
    handle: async () => ({
      response: new HttpResponse({ statusCode: 200, headers: { "content-type": "application/json" }, body: Readable.from([Buffer.from(body(n++))]) }),
    }),
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  };
}

export const bedrockStack: BenchStack = {
  model: MODEL,
  async load(_kind: Kind) {
    const client = new BedrockRuntimeClient({ region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" }, requestHandler: cannedHandler() as never, maxAttempts: 1 });
    const toolConfig = { tools: TOOLS.map((t) => ({ toolSpec: { name: t.function.name, description: t.function.description, inputSchema: { json: t.function.parameters as never } } })) };
    return {
      call: (turn: number) =>
        client.send(
          new ConverseCommand({
            modelId: MODEL,
            system: [{ text: SYSTEM_PROMPT }],
            toolConfig,
            inferenceConfig: { temperature: 0.2 },
            messages: [{ role: "user", content: [{ text: `Where is my order A-${1000 + (turn % 16)}?` }] }],
          }),
        ),
      describe: "@aws-sdk/client-bedrock-runtime 3 Converse",
      instrumentTarget: bedrock,
    };
  },
};
