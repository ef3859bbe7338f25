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

/** A user error: the message names the flag or file and the fix; the CLI prints it and exits 1. */
export class CliError extends Error {
  override readonly name = "CliError";
}
