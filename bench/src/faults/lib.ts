/**
 * Shared pieces of the fault and attack runs: the result row, the CLI receiver as a child
 * process (optionally PID 1 of its own PID namespace, as in a container), webhook payloads.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { fileURLToPath } from "node:url";
import { freePort } from "@agent-canary/testkit";

/** One fault or attack, as issue 13 reports them. */
export interface FaultRow {
  area: string;
  fault: string;
  /** What was tried, e.g. "7 runs x 120 writes". */
  tries: string;
  /** State changes that must not happen (a duplicated revision, a replayed hold, a revision per delivery). */
  unwanted: number;
  /** Replies of 500 or more (a retryable refusal is counted here too, with its reason in `detail`). */
  errors5xx: number;
  /** Processes that died on their own (not killed by the run). */
  crashes: number;
  /** Transitions acknowledged (2xx or "ack") that the store no longer has. */
  lostAcks: number;
  /** Figures particular to the fault. */
  detail: string;
  /**
   * A configuration shown for comparison that agent-canary warns against (Redis with its
   * default persistence): its losses are the figure, not a failure of the run.
   */
  baseline?: boolean;
}

export const TOKEN = "fault-bench-token-0123456789abcdef";
export const GRAFANA_SECRET = "fault-bench-grafana-secret-0123";
export const CLI = fileURLToPath(new URL("../../../packages/cli/dist/bin.js", import.meta.url));

export const isRoot = process.platform === "linux" && process.getuid?.() === 0;
export const canUnshare = isRoot && spawnSync("unshare", ["--pid", "--fork", "--mount-proc", "true"]).status === 0;

export function alertmanagerBody(alerts: { labels: Record<string, string>; status?: "firing" | "resolved"; startsAt?: string; fingerprint?: string }[]): string {
  return JSON.stringify({
    version: "4",
    groupKey: "{}:{}",
    truncatedAlerts: 0,
    status: alerts.some((a) => (a.status ?? "firing") === "firing") ? "firing" : "resolved",
    receiver: "agent-canary",
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://127.0.0.1:9093",
    alerts: alerts.map((a, i) => ({
      status: a.status ?? "firing",
      labels: a.labels,
      annotations: {},
      startsAt: a.startsAt ?? new Date().toISOString(),
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "",
      fingerprint: a.fingerprint ?? `fp${i}`,
    })),
  });
}

export function grafanaHeaders(body: string, timestamp = String(Math.floor(Date.now() / 1000))): Record<string, string> {
  return { "X-Grafana-Alerting-Signature": createHmac("sha256", GRAFANA_SECRET).update(`${timestamp}:${body}`).digest("hex"), "X-Grafana-Alerting-Timestamp": timestamp };
}

/** POST with a bound; a refused or reset connection is status 0. */
export async function postHook(url: string, body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }, timeoutMs = 30_000): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  try {
    const response = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers }, signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - started };
  } catch {
    return { status: 0, ms: performance.now() - started };
  }
}

export interface ReceiverProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code or signal. */
  exited: Promise<string>;
  logs(): string;
}

/**
 * Starts `agent-canary receiver` as a child. With `pid1`, as PID 1 of a new PID namespace
 * (unshare --pid --fork --mount-proc --kill-child): SIGKILL to the returned child kills it.
 * `prefix` runs it under another command first (e.g. prlimit --nofile=1024).
 */
export async function startReceiverProcess(options: { store: string; pid1?: boolean; port?: number; extra?: string[]; prefix?: string[] }): Promise<ReceiverProcess> {
  const port = options.port ?? (await freePort());
  const args = [CLI, "receiver", "--loopback", "--port", String(port), "--store", options.store, "--token-env", "FAULT_TOKEN", "--log-level", "warn", ...(options.extra ?? [])];
  const command = [...(options.pid1 ? ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"] : []), ...(options.prefix ?? []), process.execPath, ...args];
  const [bin, ...rest] = command as [string, ...string[]];
  const child = spawn(bin, rest, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FAULT_TOKEN: TOKEN } });
  let logs = "";
  child.stdout?.on("data", (chunk: Buffer) => (logs = (logs + chunk.toString()).slice(-20_000)));
  child.stderr?.on("data", (chunk: Buffer) => (logs = (logs + chunk.toString()).slice(-20_000)));
  const exited = new Promise<string>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? String(code))));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (up) break;
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) throw new Error(`receiver did not start: ${logs}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url, child, exited, logs: () => logs };
}

export async function kill(process: ReceiverProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  process.child.kill(signal);
  await process.exited;
}
