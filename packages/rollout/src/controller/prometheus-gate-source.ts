import { METRICS, prometheusLabel, prometheusName, type ExportMode } from "@agent-canary/conventions";
import { RECORDED } from "@agent-canary/gate-rules";
import { z } from "zod";
import type { FiringGate, GateQuery, GateReport, GateSource } from "./gate-source.js";

const VectorResponseSchema = z.object({
  status: z.literal("success"),
  data: z.object({
    resultType: z.literal("vector"),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })),
  }),
});

export interface PrometheusGateSourceOptions {
  /** Base URL of the Prometheus HTTP API, e.g. http://127.0.0.1:9090 */
  url: string;
  /** How the agent's metrics reach Prometheus; decides the sessions metric name. Default "prometheus". */
  exportMode?: ExportMode;
  /** Injected fetch (proxies, auth). */
  fetch?: typeof fetch;
  /** Per-query timeout. Default 10 s. */
  timeoutMs?: number;
}

type VectorSample = z.infer<typeof VectorResponseSchema>["data"]["result"][number];

/** The ALERTS series in `state` that carry an action the controller acts on (hold / rollback). */
function gatingAlerts(alerts: VectorSample[], state: "firing" | "pending"): FiringGate[] {
  const gates: FiringGate[] = [];
  for (const { metric } of alerts) {
    const action = metric.action;
    if (metric.alertstate !== state || (action !== "hold" && action !== "rollback")) continue;
    gates.push({ name: metric.alertname ?? "unnamed", action, details: { labels: metric } });
  }
  return gates;
}

/** Escapes a label value for a PromQL string literal. */
function quote(value: string): string {
  return JSON.stringify(value);
}

/**
 * Gate status from Prometheus: firing gates are the `ALERTS` series of this
 * deployment that carry an `action` label (hold / rollback), so the same alert
 * rules that page people and drive the receiver drive the controller; sessions per
 * arm are the increase of the sessions counter since the stage started.
 */
export class PrometheusGateSource implements GateSource {
  private readonly fetch: typeof fetch;
  private readonly sessionsMetric: string;
  private readonly groupLabel = prometheusLabel("version_group");

  constructor(private readonly options: PrometheusGateSourceOptions) {
    this.fetch = options.fetch ?? fetch;
    this.sessionsMetric = prometheusName(METRICS.sessions, options.exportMode ?? "prometheus");
  }

  async report(query: GateQuery): Promise<GateReport> {
    const seconds = Math.max(1, Math.ceil((query.now.getTime() - query.since.getTime()) / 1000));
    const dep = quote(query.deployment);
    const [alerts, sessions, gates, judged] = await Promise.all([
      this.query(`ALERTS{alertstate=~"firing|pending",deployment=${dep}}`, query.now),
      this.query(`sum by (${this.groupLabel}) (increase(${this.sessionsMetric}{deployment=${dep}}[${seconds}s]))`, query.now),
      // Every gate the recording rules know of for this deployment, and those with a statistic:
      // gate-rules records the statistic only once both arms have the gate's minimum sessions.
      this.query(`count by (gate) (${RECORDED.samples}{deployment=${dep}})`, query.now),
      this.query(`count by (gate) (${RECORDED.statistic}{deployment=${dep}})`, query.now),
    ]);
    const count = (group: string) => Math.round(Number(sessions.find((s) => s.metric[this.groupLabel] === group)?.value[1] ?? 0));
    const judgedGates = new Set(judged.map((s) => s.metric.gate));
    return {
      firing: gatingAlerts(alerts, "firing"),
      pending: gatingAlerts(alerts, "pending"),
      undecided: gates.map((s) => s.metric.gate ?? "").filter((gate) => gate && !judgedGates.has(gate)),
      sessions: { baseline: count("baseline"), canary: count("canary") },
    };
  }

  private async query(expr: string, at: Date) {
    const url = new URL("/api/v1/query", this.options.url);
    url.searchParams.set("query", expr);
    url.searchParams.set("time", String(at.getTime() / 1000));
    const response = await this.fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) throw new Error(`Prometheus at ${this.options.url} answered ${response.status} to ${expr}: ${JSON.stringify(body)}`);
    const parsed = VectorResponseSchema.safeParse(body);
    if (!parsed.success) throw new Error(`Prometheus at ${this.options.url} sent an unexpected reply to ${expr}: ${parsed.error.issues[0]?.message ?? ""}`);
    return parsed.data.data.result;
  }
}
