import type { Command } from "commander";
import type { z } from "zod";

/** Where the shadow commands write; tests pass their own streams. */
export interface ShadowCommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** A bad flag value: exit 2, naming the flag. */
export function flagError(command: Command, issues: readonly z.core.$ZodIssue[]): never {
  const issue = issues[0];
  const flag = `--${String(issue?.path[0] ?? "").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return command.error(`error: ${flag}: ${issue?.message ?? "invalid"}`, { exitCode: 2, code: "agent-canary.shadow.flags" });
}

/** Flags that do not fit together: exit 2 with the fix. */
export function usageError(command: Command, message: string): never {
  return command.error(`error: ${message}`, { exitCode: 2, code: "agent-canary.shadow.usage" });
}

/** The command could not do its work (a file, a module): exit 1. */
export function failure(command: Command, error: unknown): never {
  return command.error(`error: ${error instanceof Error ? error.message : String(error)}`, { exitCode: 1, code: "agent-canary.shadow.failed" });
}
