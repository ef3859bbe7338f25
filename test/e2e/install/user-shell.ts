import { spawn } from "node:child_process";

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a user's shell: this process's, without what the test
 * runner and pnpm add (npm_* config, NODE_OPTIONS, VITEST, NODE_ENV), plus `extra`.
 */
export function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_|NODE_OPTIONS$|NODE_ENV$|VITEST|TEST$|INIT_CWD$)/i.test(key));
  return { ...Object.fromEntries(inherited), ...extra };
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A hang guard, not a speed limit: the command is killed after this long. */
  hangGuardMs?: number;
}

/** Runs a command line through bash, as a user types it; never rejects, so a test can show the output. */
export function runLine(line: string, options: RunOptions): Promise<RunResult> {
  return run("bash", ["-c", line], options);
}

export function run(command: string, args: readonly string[], { cwd, env, hangGuardMs = 300_000 }: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const guard = setTimeout(() => child.kill("SIGKILL"), hangGuardMs);
    child.once("error", (error) => {
      clearTimeout(guard);
      resolve({ code: -1, stdout, stderr: `${stderr}${error.message}` });
    });
    child.once("close", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

/** An assertion message that shows what the command printed. */
export function explain(what: string, result: RunResult): string {
  return `${what} exited ${result.code}\n--- stdout\n${result.stdout.slice(-4000)}\n--- stderr\n${result.stderr.slice(-4000)}`;
}
