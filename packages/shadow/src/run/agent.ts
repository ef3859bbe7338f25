import { privateFieldErrorMap, SESSION_OUTCOMES, SessionOutcomeSchema } from "@agent-canary/conventions";
import { ShadowError } from "../record/withheld.js";
import { z } from "zod";
import type { InterceptedWrite } from "./read-after-write.js";
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
  /**
   * The record this call reads or writes, e.g. `(args) => \`customer:${args.customerId}\``.
   * Declared on a write tool and a read tool, it lets shadow mode see a read of
   * something the same run wrote (see `overlay`), or that production wrote.
   */
  readonly key?: (args: unknown) => string;
  /**
   * Read tools with a `key`: what a run whose writes are intercepted reads back
   * after it wrote that key. Gets the call's arguments, the run's intercepted
   * writes to the key (oldest first) and `readReal()`, which runs the real read,
   * e.g. `async (args, writes, readReal) => ({ ...(await readReal()), ...writes.at(-1).args })`.
   * Without it, such a read goes to the real system and is flagged as a divergence.
   */
  readonly overlay?: (args: unknown, writes: readonly InterceptedWrite[], readReal: () => Promise<unknown>) => unknown;
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

/**
 * The agent's answer, when it is not a plain string (a plain string means:
 * completed, with turns and cost as recorded through the context). Checked
 * before it is recorded: it comes from agent code, often from a model.
 */
export const AgentAnswerSchema = z.object({
  output: z.string(),
  outcome: SessionOutcomeSchema.optional(),
  /** Overrides the cost summed from recordTurn(). */
  costUsd: z.number().finite().min(0).optional(),
  /** Overrides the turns counted by recordTurn(). */
  turns: z.number().int().min(0).optional(),
});
export type AgentAnswer = Readonly<z.infer<typeof AgentAnswerSchema>>;

const ANSWER_SHAPE = `a string, or { output: string, outcome?: ${SESSION_OUTCOMES.join(" | ")}, costUsd?: number >= 0, turns?: whole number >= 0 }`;

/** An answer that is not an AgentAnswer: recorded as the run's error, never written as it came. */
export class InvalidAnswerError extends ShadowError {
  constructor(detail: string) {
    super(`the agent's answer is not valid: ${detail}; an agent returns ${ANSWER_SHAPE}`);
    this.name = "InvalidAnswerError";
  }
}

/** The answer as a checked AgentAnswer, or the error that says what is wrong with it (values are not quoted). */
export function checkAnswer(answer: unknown): AgentAnswer | InvalidAnswerError {
  if (typeof answer === "string") return { output: answer };
  if (typeof answer !== "object" || answer === null) return new InvalidAnswerError(`it is ${answer === null ? "null" : `a ${typeof answer}`}`);
  const parsed = AgentAnswerSchema.safeParse(answer, { error: privateFieldErrorMap });
  if (parsed.success) return parsed.data;
  return new InvalidAnswerError(parsed.error.issues.map((i) => `field "${i.path.join(".")}": ${i.message}`).join("; "));
}

export type AgentFn<I, O extends AgentAnswer | string = AgentAnswer | string> = (input: I, ctx: ShadowContext) => Promise<O>;
