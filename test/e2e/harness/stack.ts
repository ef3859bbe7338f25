import { rm } from "node:fs/promises";
import { join } from "node:path";
import {
  GatesConfigInputSchema,
  generateRuleFiles,
  resolveConfig,
  RULE_FILES,
  writeGeneratedFiles,
  type GatesConfig,
} from "@agent-canary/gate-rules";
import { createReceiver, ReceiverConfigSchema, type Receiver } from "@agent-canary/rollout";
import { RedisStore } from "@agent-canary/rollout-state";
import {
  makeTempDir,
  startAlertmanager,
  startPrometheus,
  startRedis,
  type AlertmanagerHandle,
  type PrometheusHandle,
  type RedisHandle,
} from "@agent-canary/testkit";
import { DEPLOYMENT, e2eGatesConfig } from "./gates-config.js";

/** The bearer token Alertmanager presents to the receiver. */
const TOKEN = "e2e-receiver-token-0123456789";
const TOKEN_FILE = "receiver-token";

/** The ops side of agent-canary as a user runs it: Redis, the receiver, Prometheus with the generated rules, Alertmanager. */
export interface OpsStack {
  redis: RedisHandle;
  /** The receiver's store; tests read the rollout state and audit log through it. */
  store: RedisStore;
  receiver: Receiver;
  receiverUrl: string;
  gates: GatesConfig;
  prometheus: PrometheusHandle;
  alertmanager: AlertmanagerHandle;
  stop(): Promise<void>;
}

function resolveGates(receiverUrl: string): GatesConfig {
  const resolved = resolveConfig(GatesConfigInputSchema.parse(e2eGatesConfig(receiverUrl, TOKEN_FILE)));
  if ("issues" in resolved) throw new Error(`the e2e gates config is invalid: ${JSON.stringify(resolved.issues)}`);
  return resolved.config;
}

function hostPort(url: string): string {
  return new URL(url).host;
}

/**
 * Starts the ops stack on free loopback ports. `startAgents` gets the Redis
 * URL (agents follow the rollout state there) and returns the agents'
 * /metrics endpoints (host:port) for Prometheus to scrape next to the
 * receiver. Everything this starts is stopped by `stop()`, also when a later
 * step fails; the agents are the caller's to stop.
 */
export async function startOpsStack(startAgents: (redisUrl: string) => Promise<string[]>): Promise<OpsStack> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((error: unknown) => console.error("stopping the e2e stack:", error));
  };
  try {
    const redis = await startRedis();
    stops.push(() => redis.stop());
    const receiverConfig = ReceiverConfigSchema.parse({
      host: "127.0.0.1",
      port: 0,
      store: redis.redisUrl,
      auth: { bearerTokens: [TOKEN], openMetrics: true, openState: true },
      deployments: [DEPLOYMENT],
    });
    const receiverStore = new RedisStore({ url: redis.redisUrl });
    const receiver = createReceiver({ config: receiverConfig, store: receiverStore, logger: false });
    const receiverUrl = await receiver.listen();
    stops.push(() => receiver.close());
    // The tests read through their own connection, as another replica would.
    const store = new RedisStore({ url: redis.redisUrl });
    stops.push(() => store.close());

    const agentTargets = await startAgents(redis.redisUrl);
    const gates = resolveGates(receiverUrl);
    // The same files `agent-canary rules` writes, used as a user would deploy them.
    const rulesDir = await makeTempDir("e2e-rules");
    stops.push(() => rm(rulesDir, { recursive: true, force: true }));
    const files = generateRuleFiles(gates);
    await writeGeneratedFiles(rulesDir, files);
    const amConfig = files.find((f) => f.path === RULE_FILES.alertmanager)?.content ?? "";
    const alertmanager = await startAlertmanager(amConfig, { [TOKEN_FILE]: TOKEN });
    stops.push(() => alertmanager.stop());

    const prometheus = await startPrometheus({
      rulesFiles: [join(rulesDir, RULE_FILES.recording), join(rulesDir, RULE_FILES.alerts)],
      scrapeTargets: [...agentTargets, hostPort(receiverUrl)],
      alertmanagers: [hostPort(alertmanager.url)],
      scrapeIntervalSeconds: 1,
      evaluationIntervalSeconds: 1,
    });
    stops.push(() => prometheus.stop());
    return { redis, store, receiver, receiverUrl, gates, prometheus, alertmanager, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
