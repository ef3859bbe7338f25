import { spawn } from "node:child_process";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { addShadowCommands } from "../../src/index.js";

export interface CliRun {
  readonly stdout: string;
  readonly stderr: string;
  /** Set when commander exited (an error); undefined on success. */
  readonly exitCode: number | undefined;
}

/** Runs `agent-canary <args>` with only the shadow commands, capturing what they print. */
export async function runShadowCli(args: readonly string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const out = new PassThrough();
  const err = new PassThrough();
  out.on("data", (c: Buffer) => (stdout += c.toString()));
  err.on("data", (c: Buffer) => (stderr += c.toString()));
  const program = new Command("agent-canary").exitOverride().configureOutput({ writeErr: (s) => (stderr += s), writeOut: (s) => (stdout += s) });
  addShadowCommands(program, { stdout: out, stderr: err });
  let exitCode: number | undefined;
  try {
    await program.parseAsync(["node", "agent-canary", ...args]);
  } catch (error) {
    exitCode = (error as { exitCode?: number }).exitCode ?? 1;
  }
  return { stdout, stderr, exitCode };
}

/** The built agent-canary bin. */
export const BIN = fileURLToPath(new URL("../../../cli/dist/bin.js", import.meta.url));

/** Runs the real `agent-canary` bin (the built CLI package, so `pnpm build` first) as its own process. */
export async function runAgentCanaryBin(args: readonly string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, "close")) as [number | null];
  return { stdout, stderr, exitCode: code === 0 ? undefined : (code ?? 1) };
}
