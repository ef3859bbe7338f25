import { InvalidStateError, RedisSpecError, StoreBusyError, StoreSpecError, StoreUnavailableError, TransitionConflictError, TransitionRejectedError, openStore, type RolloutStore } from "@agent-canary/rollout-state";
import { runCommand, type ErrorReporter } from "@agent-canary/conventions/cli";
import { ConfigFileError } from "../yaml-file.js";
import { CliError, usageError } from "./io.js";

/** The store's, the config's and the state's own errors: their messages name the field and the fix (exit 1). */
const USER_ERRORS = [TransitionRejectedError, TransitionConflictError, StoreSpecError, ConfigFileError, InvalidStateError, StoreBusyError, StoreUnavailableError, RedisSpecError];

/** Runs a rollout command's body with the shared exit codes: a known failure is one line, anything else a bug with its stack. */
export function runAction(command: ErrorReporter, body: () => Promise<void>): Promise<void> {
  return runCommand(command, body, USER_ERRORS);
}

/** ioredis gives up on a command with these when Redis cannot be reached. */
const UNREACHABLE = new Set(["MaxRetriesPerRequestError", "ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH"]);

/** Opens the store named by --store, runs `body`, and always closes it (Redis connections would keep the process alive). */
export async function withStore<T>(spec: string, body: (store: RolloutStore) => Promise<T>): Promise<T> {
  const store = openFromInvocation(spec);
  try {
    return await body(store);
  } catch (error) {
    const { name, code } = error as { name?: string; code?: string };
    if (UNREACHABLE.has(name ?? "") || UNREACHABLE.has(code ?? "")) {
      throw new CliError(`--store ${spec}: cannot reach the store (${(error as Error).message}); check the address and that Redis is running, nothing was changed`);
    }
    throw error;
  } finally {
    await store.close();
  }
}

/**
 * The spec comes from --store or $AGENT_CANARY_STORE, i.e. from how the command was called:
 * a malformed one is a usage error (exit 2), like any other malformed flag value.
 */
function openFromInvocation(spec: string): RolloutStore {
  try {
    return openStore(spec);
  } catch (error) {
    if (error instanceof StoreSpecError) throw usageError(error.message);
    throw error;
  }
}
