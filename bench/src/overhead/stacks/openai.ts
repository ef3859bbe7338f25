import { OpenAIInstrumentation } from "@opentelemetry/instrumentation-openai";
import { AgentCanarySpanProcessor } from "@agent-canary/instrumentation";
import { cannedFetch, messages, MODEL, TOOLS } from "../canned.ts";
import type { OtelHandles } from "../otel-setup.ts";
import type { Kind } from "../variants.ts";
import type { BenchStack } from "./types.ts";

interface ChatClient {
  chat: { completions: { create(params: Record<string, unknown>): PromiseLike<unknown> } };
}
type OpenAiModule = { default: new (options: Record<string, unknown>) => ChatClient };

/**
 * The peer patches `openai` through a module hook; aliased copies are invisible
 * to it, so its own patch function is applied to the loaded module: the same
 * code path its hook runs.
 */
function patchWithPeer(mod: OpenAiModule, version: string, otel: OtelHandles): void {
  const instrumentation = new OpenAIInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(otel.tracerProvider);
  instrumentation.enable();
  const definition = instrumentation.getModuleDefinitions()[0];
  if (!definition?.patch) throw new Error("instrumentation-openai exposes no patch function");
  definition.patch(mod, version);
}

export function openaiStack(major: 6 | 7): BenchStack {
  return {
    model: MODEL,
    async load(kind: Kind, otel: OtelHandles) {
      const mod = (major === 6 ? await import("openai6") : await import("openai")) as unknown as OpenAiModule;
      const { VERSION } = (await import(major === 6 ? "openai6/version" : "openai/version")) as { VERSION: string };
      if (kind === "peer" || kind === "spans") patchWithPeer(mod, VERSION, otel);
      if (kind === "spans") otel.addSpanProcessor(new AgentCanarySpanProcessor());
      // maxRetries 0: a retry would never happen with a canned 200, but keep the path identical.
      const client = new mod.default({ apiKey: "sk-bench", baseURL: "http://127.0.0.1:9/v1", fetch: cannedFetch(), maxRetries: 0 });
      const peer = kind === "peer" || kind === "spans" ? " + @opentelemetry/instrumentation-openai 0.22.0" : "";
      return {
        call: async (turn: number) => await client.chat.completions.create({ model: MODEL, messages: messages(turn), tools: TOOLS, temperature: 0.2 }),
        describe: `openai ${VERSION} chat.completions.create${peer}${kind === "spans" ? " spans read by AgentCanarySpanProcessor" : ""}`,
        instrumentTarget: mod,
      };
    },
  };
}
