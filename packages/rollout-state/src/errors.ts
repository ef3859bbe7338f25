import { firstIssue } from "@agent-canary/conventions";
import type { z } from "zod";

/** A stored state (or audit line) that does not parse or does not match the schema. */
export class InvalidStateError extends Error {
  override readonly name = "InvalidStateError";
  constructor(
    /** Where the bad data lives: a file path or a Redis key. */
    readonly source: string,
    /** The zod path of the first bad field ("" when the whole document is unreadable). */
    readonly field: string,
    readonly detail: string,
    /** The detail without anything read from the file (a JSON parser quotes the bytes it choked on). */
    private readonly safeDetail: string = detail,
  ) {
    super(`invalid rollout state in ${source}${field ? ` at field "${field}"` : ""}: ${detail}. ${InvalidStateError.fix(source)}`);
  }

  /**
   * What may be shown to an HTTP client: the field and what is wrong, never the file's path
   * or its bytes (a symlinked state file must not become a way to read other files).
   */
  get publicMessage(): string {
    return `invalid rollout state${this.field ? ` at field "${this.field}"` : ""}: ${this.safeDetail}`;
  }

  /**
   * Every write reads the state first, so `rollout set` cannot repair it: the fix is
   * by hand. Routers meanwhile fail closed (baseline), so nothing is urgent.
   */
  private static fix(source: string): string {
    if (source.includes(".audit.jsonl") || source.startsWith("redis stream")) {
      return "Repair or delete that audit entry (the state itself is intact); writes go on meanwhile, but the log cannot be listed until it parses.";
    }
    return "Repair it by hand (the audit log lists every transition), or move the file aside and run `agent-canary rollout start --baseline ...` to begin again; routers send all new sessions to baseline until then.";
  }

  static fromZod(source: string, error: z.ZodError): InvalidStateError {
    const { field, message } = firstIssue(error);
    return new InvalidStateError(source, field, message);
  }
}

/**
 * The store cannot be reached or used right now (a hung or stopped Redis, a full disk).
 * The message is fit for an unauthenticated health endpoint: no paths, no addresses.
 */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
}

/** The store could not take its write lock in time (another writer holds it). */
export class StoreBusyError extends Error {
  override readonly name = "StoreBusyError";
}

/** A caller broke the compare-and-set contract (wrong revision arithmetic, mismatched audit entry). */
export class CasContractError extends Error {
  override readonly name = "CasContractError";
}
