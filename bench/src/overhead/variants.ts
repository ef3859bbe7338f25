import { OpenAIInstrumentation } from "@opentelemetry/instrumentation-openai";
import { cannedFetch } from "./canned.ts";
import type { OtelHandles } from "./otel-setup.ts";
import { oursRuntime } from "./ours.ts";

/** The slice of the OpenAI client the benchmark drives; openai 6 and 7 both fit it. */
export interface ChatClient {
  chat: { completions: { create(params: Record<string, unknown>): PromiseLike<unknown> } };
}

/** How a variant runs one unit of agent work: inside a session for agent-canary, bare otherwise. */
export type SessionWrap = <T>(sessionId: string, work: () => Promise<T>) => Promise<T>;

export interface LoadedVariant {
  readonly client: ChatClient;
  readonly inSession: SessionWrap;
  readonly describe: string;
}

export const VARIANTS = ["none-openai6", "peer-openai6", "ours-openai6", "none-openai7", "ours-openai7"] as const;
export type VariantName = (typeof VARIANTS)[number];

type OpenAiModule = { default: new (options: Record<string, unknown>) => ChatClient; [Symbol.toStringTag]?: string };

async function loadModule(major: 6 | 7): Promise<OpenAiModule> {
  return (major === 6 ? await import("openai6") : await import("openai")) as unknown as OpenAiModule;
}

function makeClient(mod: OpenAiModule): ChatClient {
  // maxRetries 0: a retry would never happen with a canned 200, but keep the path identical.
  return new mod.default({ apiKey: "sk-bench", baseURL: "http://127.0.0.1:9/v1", fetch: cannedFetch(), maxRetries: 0 });
}

const bare: SessionWrap = (_id, work) => work();

/**
 * The peer patches `openai` through a module hook; our copy is installed under
 * an alias (openai6), so the hook would not see it. Apply the peer's own patch
 * function to the loaded module instead: the same code path its hook runs.
 */
function patchWithPeer(mod: OpenAiModule, version: string): void {
  const instrumentation = new OpenAIInstrumentation({ enabled: false });
  instrumentation.enable();
  const definitions = instrumentation.getModuleDefinitions();
  const definition = definitions[0];
  if (!definition?.patch) throw new Error("instrumentation-openai exposes no patch function");
  definition.patch(mod, version);
}

export async function loadVariant(name: VariantName, otel: OtelHandles): Promise<LoadedVariant> {
  const major = name.endsWith("openai6") ? 6 : 7;
  const mod = await loadModule(major);
  const version = (await import(major === 6 ? "openai6/version" : "openai/version")) as { VERSION: string };
  if (name.startsWith("none")) return { client: makeClient(mod), inSession: bare, describe: `openai ${version.VERSION}, no instrumentation` };
  if (name.startsWith("peer")) {
    patchWithPeer(mod, version.VERSION);
    return { client: makeClient(mod), inSession: bare, describe: `openai ${version.VERSION} + @opentelemetry/instrumentation-openai 0.22.0` };
  }
  const ours = await oursRuntime(mod, otel);
  return { client: makeClient(mod), inSession: ours.inSession, describe: `openai ${version.VERSION} + agent-canary (${ours.describe})` };
}
