import { createHmac } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, start, stagesFrom, transition, DEFAULT_STAGE_PERCENTS, type RolloutStore } from "@agent-canary/rollout-state";
import { ReceiverConfigSchema, createReceiver, type Receiver, type ReceiverConfigInput } from "@agent-canary/rollout";
import { afterEach, beforeEach } from "vitest";

export const TOKEN = "test-token-0123456789abcdef";
export const GRAFANA_SECRET = "grafana-secret-0123456789";
export const BASELINE = { hash: "00000000000000aa" };
export const CANARY = { hash: "00000000000000bb" };

export async function tempStore(): Promise<FileStore> {
  return new FileStore({ dir: await mkdtemp(join(tmpdir(), "agent-canary-receiver-")), pollIntervalMs: 200 });
}

/**
 * When seeded rollouts start: before ALERT_STARTS_AT, so the fixed alerts of these tests are
 * about the current rollout (the receiver drops alerts that began before the rollout did).
 */
export const ROLLOUT_STARTED_AT = "2025-12-31T23:00:00.000Z";
export const ALERT_STARTS_AT = "2026-01-01T00:00:00Z";

export async function seedDeployment(store: RolloutStore, deployment: string): Promise<void> {
  await transition(store, deployment, start({ deployment, baseline: BASELINE, canary: CANARY, stages: stagesFrom(DEFAULT_STAGE_PERCENTS, 0, 0) }), { by: "test", reason: "seed" }, { now: () => new Date(ROLLOUT_STARTED_AT) });
  // Give the canary real traffic so a rollback is visible.
  await transition(store, deployment, (s) => ({ kind: "changed", action: "set", patch: { canaryPercent: s?.canaryPercent === 25 ? 26 : 25 } }), { by: "test", reason: "seed" });
}

export interface StartOptions {
  /** The receiver's clock (default: the real one). */
  now?: () => Date;
  /** Collects the receiver's log lines (pino JSON) instead of discarding them. */
  logs?: string[];
}

export async function startReceiver(store: RolloutStore, overrides: Partial<ReceiverConfigInput> = {}, options: StartOptions = {}): Promise<{ receiver: Receiver; url: string }> {
  const config = ReceiverConfigSchema.parse({
    host: "127.0.0.1",
    port: 0,
    auth: { bearerTokens: [TOKEN], basic: [{ username: "ops", password: "ops-password-1" }], grafana: { secret: GRAFANA_SECRET } },
    ...overrides,
  });
  const logs = options.logs;
  const logger = logs ? { level: "info", stream: { write: (line: string) => void logs.push(line) } } : false;
  const receiver = createReceiver({ config, store, logger, ...(options.now ? { now: options.now } : {}) });
  const url = await receiver.listen();
  return { receiver, url };
}

export function amPayload(alerts: { status?: "firing" | "resolved"; labels: Record<string, string>; fingerprint?: string; startsAt?: string }[]): Record<string, unknown> {
  const status = alerts.some((a) => (a.status ?? "firing") === "firing") ? "firing" : "resolved";
  return {
    version: "4",
    groupKey: '{}:{alertname="CostGate"}',
    truncatedAlerts: 0,
    status,
    receiver: "canary",
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://alertmanager.test",
    alerts: alerts.map((a, i) => ({
      status: a.status ?? "firing",
      labels: a.labels,
      annotations: { summary: "canary is worse" },
      startsAt: a.startsAt ?? ALERT_STARTS_AT,
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus.test/graph",
      fingerprint: a.fingerprint ?? `fp${i}`,
    })),
  };
}

export function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: "POST", body, headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}`, ...headers } });
}

export function grafanaSign(body: string, timestamp?: string): string {
  return createHmac("sha256", GRAFANA_SECRET).update(timestamp === undefined ? body : `${timestamp}:${body}`).digest("hex");
}

/** A fresh file store with these deployments seeded and a receiver on it, for each test; `restart` swaps the receiver. */
export function receiverPerTest(deployments: string[]): { store: FileStore; receiver: Receiver; url: string; restart: (overrides: Partial<ReceiverConfigInput>) => Promise<void> } {
  const t = {
    store: undefined as unknown as FileStore,
    receiver: undefined as unknown as Receiver,
    url: "",
    restart: async (overrides: Partial<ReceiverConfigInput>) => {
      await t.receiver.close();
      Object.assign(t, await startReceiver(t.store, overrides));
    },
  };
  beforeEach(async () => {
    t.store = await tempStore();
    for (const deployment of deployments) await seedDeployment(t.store, deployment);
    Object.assign(t, await startReceiver(t.store));
  });
  afterEach(async () => {
    await t.receiver.close();
  });
  return t;
}
