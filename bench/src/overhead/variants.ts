import type { OtelHandles } from "./otel-setup.ts";
import { oursRuntime } from "./ours.ts";
import { STACKS, type StackName } from "./stacks/index.ts";

/** How a variant runs one unit of agent work: inside a session for agent-canary, bare otherwise. */
export type SessionWrap = <T>(sessionId: string, work: () => Promise<T>) => Promise<T>;

export interface LoadedVariant {
  /** One LLM call of turn `turn`, the way an agent on this stack makes it. */
  readonly call: (turn: number) => Promise<unknown>;
  readonly inSession: SessionWrap;
  readonly describe: string;
}

/**
 * none: the stack alone; peer: the stack with the instrumentation its users
 * would add otherwise; ours: with agent-canary; spans: the peer's GenAI spans
 * fed to agent-canary's span processor (no agent-canary patch).
 */
export type Kind = "none" | "peer" | "ours" | "spans";

export const VARIANTS = [
  "none-openai6", "peer-openai6", "ours-openai6",
  "none-openai7", "peer-openai7", "ours-openai7", "spans-openai7",
  "none-anthropic1", "ours-anthropic1",
  "none-genai3", "ours-genai3",
  "none-bedrock3", "ours-bedrock3",
  "none-ai7", "peer-ai7", "ours-ai7",
  "none-ai7mw", "ours-ai7mw",
] as const;
export type VariantName = (typeof VARIANTS)[number];

export function parseVariant(name: VariantName): { kind: Kind; stack: StackName } {
  const [kind, stack] = name.split("-") as [Kind, StackName];
  return { kind, stack };
}

const bare: SessionWrap = (_id, work) => work();

export async function loadVariant(name: VariantName, otel: OtelHandles): Promise<LoadedVariant> {
  const { kind, stack } = parseVariant(name);
  const s = STACKS[stack];
  const loaded = await s.load(kind, otel);
  if (kind === "none" || kind === "peer") return { call: loaded.call, inSession: bare, describe: loaded.describe };
  const ours = await oursRuntime(kind === "spans" ? undefined : loaded.instrumentTarget, otel, s.model, s.params);
  return { call: loaded.call, inSession: ours.inSession, describe: `${loaded.describe} + agent-canary (${ours.describe})` };
}
