import { userInfo } from "node:os";

/** Where commands write and what they read from the environment; injectable for tests. */
export interface CliContext {
  out: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Written into `by` as cli:<user>. */
  user: string;
}

function currentUser(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? "unknown";
  }
}

export function defaultContext(): CliContext {
  return { out: (text) => process.stdout.write(text), env: process.env, user: currentUser(process.env) };
}

/**
 * What a command prints: with --json one JSON document (for scripts), else the
 * lines a person reads. Every rollout command that reads something goes
 * through here, so --json means the same everywhere.
 */
export function emit(ctx: CliContext, json: boolean | undefined, value: unknown, text: () => string[]): void {
  if (json) {
    ctx.out(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  for (const line of text()) ctx.out(`${line}\n`);
}

/**
 * Exit codes of every rollout command: 0 done (also "unchanged": the state already was what was
 * asked), 1 a user error (CliError and the store's and config's own errors, one line naming the
 * flag and the fix; see runAction), 2 a usage error commander reports (unknown flag, missing value).
 */
export const EXIT_CODES = { ok: 0, userError: 1, usage: 2 } as const;

/** A user error: the message names the flag or file and the fix; the CLI prints it and exits 1. */
export class CliError extends Error {
  override readonly name = "CliError";
}
