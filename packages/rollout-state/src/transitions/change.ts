import type { AuditOutcome, RolloutState, Transition } from "../schema.js";

/** Who asks for a transition and why; it becomes the audit entry. */
export interface TransitionMeta {
  /** "cli:<user>", "controller", "alertmanager:<fingerprint>", "grafana:<rule uid>" */
  by: string;
  reason: string;
  /** For alert-driven writes: what happened (see AuditEntrySchema.outcome). */
  outcome?: AuditOutcome;
  details?: Record<string, unknown>;
}

/** What a pure transition function decides, given the current state and the time. */
export type Change =
  | { kind: "unchanged"; reason: string }
  | {
      kind: "changed";
      action: Transition["action"];
      /** The fields that change; revision, updatedAt and lastTransition are filled in by transition(). */
      patch: Partial<Omit<RolloutState, "revision" | "updatedAt" | "lastTransition" | "deployment">> & { deployment?: string };
      /** A capability change names the capability and its state before and after, for the audit entry. */
      capability?: Transition["capability"];
    };

/** A pure function from the current state to a change. Throws TransitionRejectedError when a precondition fails. */
export type Mutation = (current: RolloutState | undefined, now: Date) => Change;

/** A precondition failed: the message says what is wrong and what to do instead. */
export class TransitionRejectedError extends Error {
  override readonly name = "TransitionRejectedError";
}

/** The deployment has no state yet; only `start` can create one. */
export class UnknownDeploymentError extends TransitionRejectedError {
  constructor(readonly deployment: string) {
    super(`deployment "${deployment}" has no rollout state; create it with \`agent-canary rollout start --deployment ${deployment} ...\``);
  }
}
