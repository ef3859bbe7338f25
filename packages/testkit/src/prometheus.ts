import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { findBinary } from "./binaries.js";
import { freePort } from "./ports.js";
import { httpOk, makeTempDir, spawnServer, type ServerHandle } from "./process.js";

export interface PrometheusOptions {
  /** A complete prometheus.yml. When absent, one is built from the fields below. */
  configYaml?: string;
  /** Absolute paths of rule files to load. */
  rulesFiles?: string[];
  /** host:port targets scraped as job "agent". */
  scrapeTargets?: string[];
  scrapeIntervalSeconds?: number;
  evaluationIntervalSeconds?: number;
  /** host:port of Alertmanagers to send alerts to. */
  alertmanagers?: string[];
  /** An existing TSDB directory to serve (e.g. backfilled with promtool). */
  storagePath?: string;
  extraArgs?: string[];
}

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusHandle extends ServerHandle {
  /** Instant query through the HTTP API; NaN/Inf come back as numbers. */
  query(expr: string, time?: Date | number): Promise<PromSample[]>;
  /** Ask Prometheus to re-read its config and rules (lifecycle API). */
  reload(): Promise<void>;
}

function buildConfig(options: PrometheusOptions): string {
  const scrape = options.scrapeIntervalSeconds ?? 1;
  const evaluation = options.evaluationIntervalSeconds ?? 1;
  const lines = ["global:", `  scrape_interval: ${scrape}s`, `  evaluation_interval: ${evaluation}s`];
  if (options.rulesFiles?.length) lines.push("rule_files:", ...options.rulesFiles.map((f) => `  - ${JSON.stringify(f)}`));
  if (options.alertmanagers?.length) {
    lines.push("alerting:", "  alertmanagers:", "    - static_configs:", "        - targets:");
    lines.push(...options.alertmanagers.map((t) => `            - ${JSON.stringify(t)}`));
  }
  if (options.scrapeTargets?.length) {
    lines.push("scrape_configs:", "  - job_name: agent", "    static_configs:", "      - targets:");
    lines.push(...options.scrapeTargets.map((t) => `          - ${JSON.stringify(t)}`));
  }
  return `${lines.join("\n")}\n`;
}

const QueryResponse = (body: unknown): PromSample[] => {
  const data = body as { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
  if (data.status !== "success") throw new Error(`prometheus query failed: ${data.error ?? JSON.stringify(body)}`);
  const result = data.data?.result;
  if (data.data?.resultType === "scalar" && Array.isArray(result)) return [{ metric: {}, value: Number(result[1]) }];
  if (!Array.isArray(result)) throw new Error(`unexpected prometheus result: ${JSON.stringify(body)}`);
  return result.map((r: { metric: Record<string, string>; value: [number, string] }) => ({ metric: r.metric, value: Number(r.value[1]) }));
};

/** A throwaway Prometheus on loopback; lifecycle API on for reloads. */
export async function startPrometheus(options: PrometheusOptions = {}): Promise<PrometheusHandle> {
  const port = await freePort();
  const dir = await makeTempDir("prometheus");
  const configFile = join(dir, "prometheus.yml");
  await writeFile(configFile, options.configYaml ?? buildConfig(options));
  const handle = await spawnServer({
    name: "prometheus",
    command: findBinary("AGENT_CANARY_PROMETHEUS_BIN", ["prometheus"]),
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${options.storagePath ?? join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-lifecycle",
      "--log.level=warn",
      ...(options.extraArgs ?? []),
    ],
    port,
    dir,
    ready: () => httpOk(`http://127.0.0.1:${port}/-/ready`),
    readyTimeoutMs: 60_000,
  });
  const query = async (expr: string, time?: Date | number): Promise<PromSample[]> => {
    const params = new URLSearchParams({ query: expr });
    if (time !== undefined) params.set("time", String((time instanceof Date ? time.getTime() : time) / 1000));
    const response = await fetch(`${handle.url}/api/v1/query?${params}`);
    return QueryResponse(await response.json());
  };
  const reload = async (): Promise<void> => {
    const response = await fetch(`${handle.url}/-/reload`, { method: "POST" });
    if (!response.ok) throw new Error(`prometheus reload failed: ${response.status} ${await response.text()}`);
  };
  return Object.assign(handle, { query, reload });
}
