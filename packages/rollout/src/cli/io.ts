import { userInfo } from "node:os";
import { cliIo, type CliIo } from "@agent-canary/conventions/cli";

export { CliError, emit, EXIT_CODES, usageError } from "@agent-canary/conventions/cli";

/** The shared CLI io plus who is at the keyboard: every change is audited as cli:<user>. */
export interface CliContext extends CliIo {
  /** Written into `by` as cli:<user>. */
  readonly user: string;
}

function currentUser(env: CliIo["env"]): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? "unknown";
  }
}

/** The process's io and user, with whatever a test replaces. */
export function cliContext(overrides: Partial<CliContext> = {}): CliContext {
  const io = cliIo(overrides);
  return { ...io, user: overrides.user ?? currentUser(io.env) };
}
