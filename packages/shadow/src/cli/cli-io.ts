import type { CliIo } from "@agent-canary/conventions/cli";

/**
 * The shared CLI io, with stderr a real stream: the replay progress bar
 * redraws in place on a terminal. Tests pass their own streams.
 */
export interface ShadowCommandIo extends CliIo {
  readonly stderr: NodeJS.WritableStream;
}
