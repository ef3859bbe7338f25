import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./wait.js";

/** A server process we started; `stop()` ends it and removes its temp dir. */
export interface ServerHandle {
  readonly name: string;
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly process: ChildProcess;
  /** Everything the process wrote, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

// A test run that dies must not leave servers behind on the machine.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `agent-canary-${prefix}-`));
}

export interface SpawnServerOptions {
  name: string;
  command: string;
  args: string[];
  port: number;
  dir: string;
  /** Resolves true once the server answers. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

export async function spawnServer(options: SpawnServerOptions): Promise<ServerHandle> {
  installExitHook();
  const child = spawn(options.command, options.args, { cwd: options.dir, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let output = "";
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    running.delete(child);
    exited = `exited with ${signal ?? code}`;
  });
  child.once("error", (error) => {
    exited = `failed to start: ${error.message}`;
  });

  const handle: ServerHandle = {
    name: options.name,
    host: "127.0.0.1",
    port: options.port,
    url: `http://127.0.0.1:${options.port}`,
    dir: options.dir,
    process: child,
    output: () => output,
    stop: () => stopProcess(child, options.dir),
  };
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`${options.name} ${exited}\n${output}`);
        return options.ready();
      },
      { timeoutMs: options.readyTimeoutMs ?? 30_000, what: `${options.name} on port ${options.port} to be ready` },
    );
  } catch (error) {
    await handle.stop();
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`${detail}\n--- ${options.name} output ---\n${output}`);
  }
  return handle;
}

async function stopProcess(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
  running.delete(child);
  await rm(dir, { recursive: true, force: true });
}

/** True when an HTTP GET on the URL answers 2xx. */
export async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
