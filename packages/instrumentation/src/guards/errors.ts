import type { SessionOutcome } from "@agent-canary/conventions";

/**
 * Base class of every error agent-canary raises inside an agent on purpose.
 * Catch this one type to handle all guard trips; `outcome` says how the session ended.
 */
export class AgentCanaryGuardError extends Error {
  readonly outcome: SessionOutcome;
  readonly sessionId: string;

  constructor(message: string, outcome: SessionOutcome, sessionId: string) {
    super(message);
    this.name = new.target.name;
    this.outcome = outcome;
    this.sessionId = sessionId;
  }
}

export interface LoopMatch {
  /** The repeating cycle of call signatures, oldest first. */
  readonly cycle: readonly string[];
  readonly repeats: number;
}

export class LoopDetectedError extends AgentCanaryGuardError {
  readonly match: LoopMatch;
  constructor(sessionId: string, match: LoopMatch) {
    const tools = match.cycle.map((s) => s.split("(")[0]).join(" -> ");
    super(
      `loop detected in session ${sessionId}: the cycle [${tools}] repeated ${match.repeats} times`,
      "loop_detected",
      sessionId,
    );
    this.match = match;
  }
}

export class BudgetExceededError extends AgentCanaryGuardError {
  readonly budgetUsd: number;
  readonly spentUsd: number;
  constructor(sessionId: string, budgetUsd: number, spentUsd: number) {
    super(
      `session ${sessionId} spent $${spentUsd.toFixed(4)}, over its budget of $${budgetUsd}`,
      "budget_exceeded",
      sessionId,
    );
    this.budgetUsd = budgetUsd;
    this.spentUsd = spentUsd;
  }
}

export class MaxTurnsError extends AgentCanaryGuardError {
  readonly maxTurns: number;
  constructor(sessionId: string, maxTurns: number) {
    super(`session ${sessionId} reached its limit of ${maxTurns} LLM turns`, "max_turns", sessionId);
    this.maxTurns = maxTurns;
  }
}

/** A canary session still running past the drain timeout after a rollback. */
export class DrainTimeoutError extends AgentCanaryGuardError {
  readonly drainTimeoutSeconds: number;
  constructor(sessionId: string, drainTimeoutSeconds: number) {
    super(
      `canary session ${sessionId} was still running ${drainTimeoutSeconds}s after the rollback and has been ended`,
      "drain_timeout",
      sessionId,
    );
    this.drainTimeoutSeconds = drainTimeoutSeconds;
  }
}
