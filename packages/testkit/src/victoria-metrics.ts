import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { findBinary } from "./binaries.js";
import { freePort } from "./ports.js";
import { httpOk, makeTempDir, spawnServer, type ServerHandle } from "./process.js";

const exec = promisify(execFile);

/** One series as VictoriaMetrics exports it: its labels (with __name__) and raw samples. */
export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  /** Unix milliseconds. */
  timestamps: number[];
}

export interface VictoriaMetricsHandle extends ServerHandle {
  /** Writes Prometheus exposition lines with millisecond timestamps (`name{labels} value ts`). */
  importPrometheus(lines: string): Promise<void>;
  /** Raw samples of the series matching a selector between two instants (Unix ms). */
  exportSeries(match: string, startMs: number, endMs: number): Promise<ExportedSeries[]>;
  /** Makes what was written searchable now (VictoriaMetrics 1.79 takes about 10 s for new series on its own). */
  flush(): Promise<void>;
  /** Instant MetricsQL query at a Unix-ms instant: labels and value of each result. */
  query(expr: string, timeMs: number): Promise<{ metric: Record<string, string>; value: number }[]>;
}

function nonFinite(value: number | string): number {
  if (typeof value === "number") return value;
  if (value === "NaN") return Number.NaN;
  return value.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
}

/** The VictoriaMetrics binaries (Debian package victoria-metrics), or an error that says how to get them. */
export function victoriaMetricsBinaries(): { server: string; vmalert: string } {
  const hint = "`apt-get install victoria-metrics` (bash scripts/install-servers.sh installs it)";
  try {
    return {
      server: findBinary("AGENT_CANARY_VICTORIA_METRICS_BIN", ["victoria-metrics", "victoria-metrics-prod"]),
      vmalert: findBinary("AGENT_CANARY_VMALERT_BIN", ["vmalert", "vmalert-prod"]),
    };
  } catch (error) {
    throw new Error(`${(error as Error).message.split(". ")[0]}: ${hint}`);
  }
}

/**
 * A single-node VictoriaMetrics on loopback that keeps any timestamp (100 years of
 * retention, so scenarios can sit at a fixed date) and caches no query results (rules
 * replayed over past time write data a cache would not know about).
 */
export async function startVictoriaMetrics(): Promise<VictoriaMetricsHandle> {
  const port = await freePort();
  const dir = await makeTempDir("victoria-metrics");
  const handle = await spawnServer({
    name: "victoria-metrics",
    command: victoriaMetricsBinaries().server,
    args: [
      `-storageDataPath=${join(dir, "data")}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      "-retentionPeriod=100y",
      "-search.disableCache",
      "-loggerLevel=ERROR",
    ],
    port,
    dir,
    ready: () => httpOk(`http://127.0.0.1:${port}/health`),
  });
  const importPrometheus = async (lines: string): Promise<void> => {
    const response = await fetch(`${handle.url}/api/v1/import/prometheus`, { method: "POST", body: lines });
    if (!response.ok) throw new Error(`victoria-metrics refused the import: ${response.status} ${await response.text()}`);
  };
  const exportSeries = async (match: string, startMs: number, endMs: number): Promise<ExportedSeries[]> => {
    const params = new URLSearchParams({ "match[]": match, start: String(startMs / 1000), end: String(endMs / 1000) });
    const response = await fetch(`${handle.url}/api/v1/export?${params}`);
    if (!response.ok) throw new Error(`victoria-metrics export failed: ${response.status} ${await response.text()}`);
    const text = await response.text();
    return text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => {
        // Non-finite values come as bare +Inf, -Inf and NaN tokens, which JSON does not have.
        const series = JSON.parse(line.replace(/([[,])([+-]?Inf|NaN)(?=[,\]])/g, '$1"$2"')) as { metric: Record<string, string>; values: (number | string)[]; timestamps: number[] };
        return { ...series, values: series.values.map(nonFinite) };
      });
  };
  const flush = async (): Promise<void> => {
    const response = await fetch(`${handle.url}/internal/force_flush`);
    if (!response.ok) throw new Error(`victoria-metrics flush failed: ${response.status}`);
  };
  const query = async (expr: string, timeMs: number): Promise<{ metric: Record<string, string>; value: number }[]> => {
    const params = new URLSearchParams({ query: expr, time: String(timeMs / 1000) });
    const body = (await (await fetch(`${handle.url}/api/v1/query?${params}`)).json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== "success" || !body.data) throw new Error(`victoria-metrics query failed: ${body.error ?? JSON.stringify(body)}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };
  return Object.assign(handle, { importPrometheus, exportSeries, flush, query });
}

export interface VmalertReplayOptions {
  /** Rule files (Prometheus format) to evaluate. */
  ruleFiles: string[];
  /** VictoriaMetrics (or any Prometheus API) to query, and to write results into. */
  url: string;
  /** Evaluate every group interval from..to (RFC 3339 instants). */
  from: Date;
  to: Date;
  /** Pause after each rule, so the next rule of the group sees its results. */
  rulesDelayMs: number;
  extraArgs?: string[];
}

/**
 * Runs vmalert in replay mode: every rule of every group, in order, over the whole
 * range, results written back (recording rules as their series, alerting rules as
 * ALERTS{alertstate=pending|firing}). Resolves with vmalert's output; throws on failure.
 */
export async function runVmalertReplay(options: VmalertReplayOptions): Promise<string> {
  const delay = `${options.rulesDelayMs}ms`;
  const args = [
    ...options.ruleFiles.map((f) => `-rule=${f}`),
    `-datasource.url=${options.url}`,
    `-remoteWrite.url=${options.url}`,
    `-remoteWrite.flushInterval=${Math.max(10, Math.floor(options.rulesDelayMs / 4))}ms`,
    `-replay.timeFrom=${options.from.toISOString().replace(/\.\d{3}Z$/, "Z")}`,
    `-replay.timeTo=${options.to.toISOString().replace(/\.\d{3}Z$/, "Z")}`,
    `-replay.rulesDelay=${delay}`,
    "-replay.disableProgressBar",
    "-loggerLevel=WARN",
    ...(options.extraArgs ?? []),
  ];
  try {
    const { stdout, stderr } = await exec(victoriaMetricsBinaries().vmalert, args, { maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`vmalert replay failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

export interface VmalertOptions {
  ruleFiles: string[];
  /** VictoriaMetrics (or any Prometheus API) to query. */
  datasourceUrl: string;
  /** Alertmanager base URL alerts go to. */
  notifierUrl: string;
  extraArgs?: string[];
}

/** vmalert evaluating rules live (as in production) on loopback, sending alerts to an Alertmanager. */
export async function startVmalert(options: VmalertOptions): Promise<ServerHandle> {
  const port = await freePort();
  const dir = await makeTempDir("vmalert");
  return spawnServer({
    name: "vmalert",
    command: victoriaMetricsBinaries().vmalert,
    args: [
      ...options.ruleFiles.map((f) => `-rule=${f}`),
      `-datasource.url=${options.datasourceUrl}`,
      `-notifier.url=${options.notifierUrl}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      "-loggerLevel=WARN",
      ...(options.extraArgs ?? []),
    ],
    port,
    dir,
    ready: () => httpOk(`http://127.0.0.1:${port}/health`),
  });
}
