import { fieldErrorMap, firstIssue, METRICS, prometheusLabel, prometheusName, type ExportMode } from "@agent-canary/conventions";
import { gateReadingQuery, KIND_SPECS, readGateVerdicts, RECORDED, type GatesConfig, type GateReading } from "@agent-canary/gate-rules";
import { z } from "zod";
import type { FiringGate, GateQuery, GateReport, GateSource, GateVerdictReport } from "./gate-source.js";

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
  /** The gates config the rules were generated from: which gates there are, their actions and pass rules. */
  config: GatesConfig;
  /** Values of the config's `by` labels for this environment, e.g. {cluster: "eu"}. */
  environment?: Readonly<Record<string, string>>;
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
    const rolloutId = metric.rollout_id;
    gates.push({ name: metric.alertname ?? "unnamed", action, ...(rolloutId ? { rolloutId } : {}), details: { labels: metric } });
  }
  return gates;
}

/** Escapes a label value for a PromQL string literal. */
function quote(value: string): string {
  return JSON.stringify(value);
}

/** The recorded series the baseline's per-session moments come from (for the deciding-time estimate). */
const MOMENT_SERIES = [RECORDED.estimate, RECORDED.baselineWithin, RECORDED.baselineSamples, RECORDED.strata];

type Moments = Map<string, { mean: number; variance?: number }>;

/**
 * Per gate, the baseline's mean (its recorded estimate) and, for mean gates on
 * the linear scale, its pooled within-stratum variance; rate gates need only the
 * rate. Log-scale gates record their estimate back on the linear scale, so they get none.
 */
function baselineMoments(config: GatesConfig, series: VectorSample[]): Moments {
  const value = (name: string, gate: string) => {
    const s = series.find((x) => x.metric.__name__ === name && x.metric.gate === gate && (name !== RECORDED.estimate || x.metric.version_group === "baseline"));
    return s ? Number(s.value[1]) : Number.NaN;
  };
  const moments: Moments = new Map();
  for (const gate of config.gates) {
    const spec = KIND_SPECS[gate.kind];
    const mean = value(RECORDED.estimate, gate.name);
    if (!Number.isFinite(mean)) continue;
    if (spec.family === "rate") moments.set(gate.name, { mean });
    else if (spec.scale === "linear") {
      const variance = value(RECORDED.baselineWithin, gate.name) / (value(RECORDED.baselineSamples, gate.name) - value(RECORDED.strata, gate.name));
      if (Number.isFinite(variance) && variance >= 0) moments.set(gate.name, { mean, variance });
    }
  }
  return moments;
}

/** A reading of gate-rules' recorded series as the controller's verdict. */
function verdictOf(reading: GateReading, config: GatesConfig, moments: Moments): GateVerdictReport {
  const gate = config.gates.find((g) => g.name === reading.gate);
  const baseline = moments.get(reading.gate);
  const finite = (x: number) => Number.isFinite(x);
  return {
    gate: reading.gate,
    verdict: reading.verdict,
    action: gate?.action ?? "hold",
    passBeforePercent: reading.passBeforePercent ?? null,
    ...(finite(reading.value) ? { value: reading.value } : {}),
    ...(finite(reading.samples.canary) && finite(reading.samples.baseline) ? { samples: reading.samples } : {}),
    ...(gate ? { minSamples: gate.minSamples } : {}),
    ...(baseline ? { baseline } : {}),
    ...(reading.reason ? { reason: reading.reason } : {}),
  };
}

/**
 * Gate status from Prometheus, for the rollout in progress only: each gate's
 * verdict is the recorded `...gate_verdict:state` series of this rollout_id
 * (failing / passing / undecided, from gate-rules); firing and pending gates
 * are the `ALERTS` series of this deployment that carry an `action` label, so
 * the same alert rules that page people and drive the receiver drive the
 * controller; sessions per arm are the increase of this rollout's sessions
 * counter since the stage started.
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
    const { config } = this.options;
    const seconds = Math.max(1, Math.ceil((query.now.getTime() - query.since.getTime()) / 1000));
    const env = config.environment.by.map((label) => `,${label}=${quote(this.options.environment?.[label] ?? "")}`).join("");
    const rollout = query.rolloutId === null ? "" : `,rollout_id=${quote(query.rolloutId)}`;
    const selector = `deployment=${quote(query.deployment)}${env}`;
    const rolloutSelector = `deployment=${quote(query.deployment)},rollout_id=${quote(query.rolloutId ?? "")}${env}`;
    const [alerts, sessions, readings, momentSeries] = await Promise.all([
      this.query(`ALERTS{alertstate=~"firing|pending",${selector}}`, query.now),
      this.query(`sum by (${this.groupLabel}) (increase(${this.sessionsMetric}{${selector}${rollout}}[${seconds}s]))`, query.now),
      query.rolloutId === null
        ? Promise.resolve(undefined)
        : this.query(gateReadingQuery(config, { deployment: query.deployment, rolloutId: query.rolloutId, ...(this.options.environment ? { environment: this.options.environment } : {}) }), query.now),
      query.rolloutId === null ? Promise.resolve([]) : this.query(`{__name__=~"${MOMENT_SERIES.join("|")}",${rolloutSelector}}`, query.now),
    ]);
    const moments = baselineMoments(config, momentSeries);
    const count = (group: string) => Math.round(Number(sessions.find((s) => s.metric[this.groupLabel] === group)?.value[1] ?? 0));
    // A state without a rollout_id (written before the field existed) has no per-rollout verdicts: every gate is undecided.
    const verdicts: GateVerdictReport[] = readings
      ? readGateVerdicts(config, readings).map((r) => verdictOf(r, config, moments))
      : config.gates.map((g) => ({ gate: g.name, verdict: "undecided" as const, action: g.action, passBeforePercent: g.passBeforePercent ?? null, reason: "the rollout state has no rollout_id: restart the rollout with this version of agent-canary" }));
    const values: Record<string, number> = {};
    for (const v of verdicts) if (v.value !== undefined) values[v.gate] = v.value;
    return {
      rolloutId: query.rolloutId,
      firing: gatingAlerts(alerts, "firing"),
      pending: gatingAlerts(alerts, "pending"),
      verdicts,
      sessions: { baseline: count("baseline"), canary: count("canary") },
      values,
    };
  }
  private async query(expr: string, at: Date) {
    const url = new URL("/api/v1/query", this.options.url);
    url.searchParams.set("query", expr);
    url.searchParams.set("time", String(at.getTime() / 1000));
    const response = await this.fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) throw new Error(`Prometheus at ${this.options.url} answered ${response.status} to ${expr}: ${JSON.stringify(body)}`);
    const parsed = VectorResponseSchema.safeParse(body, { error: fieldErrorMap });
    if (!parsed.success) {
      const { field, message } = firstIssue(parsed.error);
      throw new Error(`Prometheus at ${this.options.url} sent an unexpected reply to ${expr}${field ? ` at "${field}"` : ""}: ${message} (is --prometheus-url the Prometheus HTTP API, e.g. http://prometheus:9090?)`);
    }
    return parsed.data.data.result;
  }
}
