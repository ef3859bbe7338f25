import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { generateRuleFiles, RULE_FILES, writeGeneratedFiles, type GatesConfig } from "@agent-canary/gate-rules";
import { register } from "@agent-canary/instrumentation";
import { createReceiver, PrometheusGateSource, ReceiverConfigSchema, type GateQuery, type GateReport, type GateSource } from "@agent-canary/rollout";
import { RedisStore } from "@agent-canary/rollout-state";
import { findBinary, makeTempDir, startAlertmanager, startPrometheus, startRedis } from "@agent-canary/testkit";
import { DEMO_BASELINE, DEMO_RECORDS_DIR, demoGatesConfig, DEPLOYMENT } from "../config.js";
import type { GateView } from "../report/format.js";
import type { OpsSide } from "./ops-side.js";
import { gatesFromPrometheus } from "./prometheus-view.js";

const TOKEN_FILE = "receiver-token";

/** The servers --stack needs, checked before anything starts; the error says how to install them. */
export function checkServers(): void {
  findBinary("AGENT_CANARY_PROMETHEUS_BIN", ["prometheus"]);
  findBinary("AGENT_CANARY_ALERTMANAGER_BIN", ["prometheus-alertmanager", "alertmanager"]);
  findBinary("AGENT_CANARY_REDIS_BIN", ["redis-server"]);
}

/**
 * The agent's OpenTelemetry metrics on a Prometheus endpoint, set up once per
 * process (the SDK registers global providers); every scenario's agent
 * records through it.
 */
export async function startAgentMetrics(): Promise<{ target: string; close: () => Promise<void> }> {
  const quiet = () => undefined;
  const handle = register({
    deployment: DEPLOYMENT,
    versions: { baseline: DEMO_BASELINE },
    metrics: { exporter: "prometheus", host: "127.0.0.1", port: 0 },
    traces: { exporter: "none" },
    autoInstrument: false,
    logger: { debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
  const { metricsUrl } = await handle.ready;
  if (!metricsUrl) throw new Error("the agent's metrics endpoint did not start");
  return { target: new URL(metricsUrl).host, close: () => handle.shutdown() };
}

/**
 * The controller runs on the demo's compressed clock, Prometheus on real time:
 * turn the controller's question ("sessions since the stage began, as of now")
 * into the same span of real time ending now, and keep the gate values for the timeline.
 */
class RealTimeGateSource implements GateSource {
  view: GateView[] | undefined;

  constructor(
    private readonly inner: PrometheusGateSource,
    private readonly factor: number,
    private readonly refresh: () => Promise<GateView[]>,
  ) {}

  async report(query: GateQuery): Promise<GateReport> {
    const now = new Date();
    const since = new Date(now.getTime() - (query.now.getTime() - query.since.getTime()) / this.factor);
    const [report, view] = await Promise.all([this.inner.report({ deployment: query.deployment, rolloutId: query.rolloutId, since, now }), this.refresh()]);
    this.view = view;
    return report;
  }
}

/**
 * Real servers on free loopback ports, as the end-to-end tests start them:
 * Redis holds the state, the receiver takes Alertmanager's webhooks,
 * Prometheus scrapes the agent and the receiver and evaluates the generated
 * rules, Alertmanager routes the generated alerts to the receiver.
 */
export async function startStackOps(agentTarget: string, factor: number): Promise<OpsSide> {
  const stops: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const token = randomBytes(24).toString("hex");
    const redis = await startRedis();
    stops.push(() => redis.stop());
    const receiver = createReceiver({
      config: ReceiverConfigSchema.parse({
        host: "127.0.0.1",
        port: 0,
        store: redis.redisUrl,
        auth: { bearerTokens: [token], openMetrics: true, openState: true },
        deployments: [DEPLOYMENT],
        // When an alert rolls the canary back before the controller does, the receiver writes the record.
        recordsDir: DEMO_RECORDS_DIR,
      }),
      store: new RedisStore({ url: redis.redisUrl }),
      logger: false,
    });
    const receiverUrl = await receiver.listen();
    stops.push(() => receiver.close());
    const config = demoGatesConfig({ realTime: { evaluationInterval: "1s", for: "2s" }, receiverUrl, credentialsFile: TOKEN_FILE });
    const rulesDir = await makeTempDir("demo-rules");
    stops.push(() => rm(rulesDir, { recursive: true, force: true }));
    const files = generateRuleFiles(config);
    await writeGeneratedFiles(rulesDir, files);
    const alertmanager = await startAlertmanager(files.find((f) => f.path === RULE_FILES.alertmanager)?.content ?? "", { [TOKEN_FILE]: token });
    stops.push(() => alertmanager.stop());
    const prometheus = await startPrometheus({
      rulesFiles: [join(rulesDir, RULE_FILES.recording), join(rulesDir, RULE_FILES.alerts)],
      scrapeTargets: [agentTarget, new URL(receiverUrl).host],
      alertmanagers: [new URL(alertmanager.url).host],
      scrapeIntervalSeconds: 1,
      evaluationIntervalSeconds: 1,
    });
    stops.push(() => prometheus.stop());
    const store = new RedisStore({ url: redis.redisUrl });
    stops.push(() => store.close());
    return stackOps(config, store, { prometheus: prometheus.url, query: prometheus.query, factor, close }, {
      redis: redis.redisUrl,
      receiver: receiverUrl,
      alertmanager: alertmanager.url,
    });
  } catch (error) {
    await close();
    throw error;
  }
}

function stackOps(
  config: GatesConfig,
  store: RedisStore,
  prom: { prometheus: string; query: Parameters<typeof gatesFromPrometheus>[0]; factor: number; close: () => Promise<void> },
  urls: { redis: string; receiver: string; alertmanager: string },
): OpsSide {
  const gates = new RealTimeGateSource(new PrometheusGateSource({ url: prom.prometheus, config }), prom.factor, () => gatesFromPrometheus(prom.query, config, DEPLOYMENT));
  return {
    config,
    store,
    gates,
    gateView: () => gates.view,
    firedGates: () => (gates.view ?? []).filter((g) => g.verdict === "failing").map((g) => g.gate),
    description: `rollout state: Redis ${urls.redis}; gates: Prometheus ${prom.prometheus} → Alertmanager ${urls.alertmanager} → receiver ${urls.receiver}`,
    close: prom.close,
  };
}
