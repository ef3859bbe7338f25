import { spawn } from "node:child_process";

/** How a process ended and everything it wrote. */
export interface ProcessRun {
  /** The exit code; null when a signal ended it. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunProcessOptions {
  cwd?: string;
  /** The whole environment of the process (not merged with this one's). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a command to its end, as a user runs a binary or a script, and gives back
 * its exit code and output (stdin closed). Tests of CLIs and scripts use it;
 * there is no time limit here: the test's own timeout is the hang guard.
 */
export function runProcess(command: string, args: readonly string[], options: RunProcessOptions = {}): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    // "close", not "exit": the output is complete only once both pipes are closed.
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
