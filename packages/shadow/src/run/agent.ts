import type { SessionOutcome } from "@agent-canary/conventions";
import type { ToolKind } from "./run-record.js";

export type ShadowRole = "production" | "candidate";

/**
 * A tool the agent may call through its context. Arguments come from a model,
 * so they are `unknown` here: validate them inside `execute`.
 */
export interface ToolDefinition {
  readonly kind: ToolKind;
  execute(args: unknown, signal: AbortSignal): unknown;
  /**
   * What a write returns to the candidate instead of running. Defaults to the
   * shadow's `dryRunResult`. Make it look like a success so the candidate goes on
   * reasoning as it would in production.
   */
  readonly dryRun?: (args: unknown) => unknown;
}
export type Toolset = Readonly<Record<string, ToolDefinition>>;

/** What an agent gets besides its input. Production and candidate get the same shape. */
export interface ShadowContext {
  readonly role: ShadowRole;
  /** Aborted when the candidate passes its timeout; pass it to the LLM SDK. */
  readonly signal: AbortSignal;
  /** Calls a declared tool. In the candidate a write tool is not executed: its dry-run result comes back. */
  callTool(name: string, args: unknown): Promise<unknown>;
  /** Counts one LLM call and adds its cost, when known. */
  recordTurn(usage?: { readonly costUsd?: number | undefined }): void;
}

/** The agent's answer. A plain string means: completed, with turns and cost as recorded through the context. */
export interface AgentAnswer {
  readonly output: string;
  readonly outcome?: SessionOutcome | undefined;
  /** Overrides the cost summed from recordTurn(). */
  readonly costUsd?: number | undefined;
  /** Overrides the turns counted by recordTurn(). */
  readonly turns?: number | undefined;
}

export type AgentFn<I, O extends AgentAnswer | string = AgentAnswer | string> = (input: I, ctx: ShadowContext) => Promise<O>;
