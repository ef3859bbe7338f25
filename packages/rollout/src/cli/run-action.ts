import { InvalidStateError, StoreBusyError, StoreSpecError, StoreUnavailableError, TransitionConflictError, TransitionRejectedError, openStore, type RolloutStore } from "@agent-canary/rollout-state";
import { GatesConfigError } from "@agent-canary/gate-rules";
import type { Command } from "commander";
import { ZodError } from "zod";
import { ConfigFileError } from "../yaml-file.js";
import { CliError, EXIT_CODES } from "./io.js";

const USER_ERRORS = [CliError, TransitionRejectedError, TransitionConflictError, StoreSpecError, ConfigFileError, GatesConfigError, InvalidStateError, StoreBusyError, StoreUnavailableError];

/** Turns a known failure into a one-line error with exit code 1; anything else is a bug and keeps its stack. */
export async function runAction(command: Command, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (USER_ERRORS.some((type) => error instanceof type)) command.error(`error: ${(error as Error).message}`, { exitCode: EXIT_CODES.userError, code: "agent-canary.error" });
    if (error instanceof ZodError) {
      const issue = error.issues[0];
      command.error(`error: ${issue?.path.join(".") || "input"}: ${issue?.message ?? error.message}`, { exitCode: EXIT_CODES.userError, code: "agent-canary.error" });
    }
    throw error;
  }
}

/** ioredis gives up on a command with these when Redis cannot be reached. */
const UNREACHABLE = new Set(["MaxRetriesPerRequestError", "ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH"]);

/** Opens the store named by --store, runs `body`, and always closes it (Redis connections would keep the process alive). */
export async function withStore<T>(spec: string, body: (store: RolloutStore) => Promise<T>): Promise<T> {
  const store = openStore(spec);
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
