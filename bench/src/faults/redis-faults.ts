/**
 * Redis faults of issue 13 items 2-3: a hung Redis (SIGSTOP), a stopped Redis, a Redis killed
 * right after acknowledging a rollback, a Sentinel failover, Redis Cluster. Routers are real
 * agent runtimes (AgentCanary on their own RedisStore) starting sessions at a steady rate.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createReceiver, ReceiverConfigSchema, type Receiver } from "@agent-canary/rollout";
import { AgentCanary } from "@agent-canary/instrumentation";
import { RedisStore, start, stagesFrom, transition, type RolloutStore } from "@agent-canary/rollout-state";
import { findBinary, redisCliCommand, startRedis, startRedisCluster, startRedisSentinel, type RedisHandle } from "@agent-canary/testkit";
import { fmt } from "../lib/report.ts";
import { alertmanagerBody, postHook, TOKEN, type FaultRow } from "./lib.ts";

const DEPLOYMENT = "shop";
const BASELINE = { model: "m", systemPrompt: "baseline", tools: [], params: {} };
const CANARY = { model: "m", systemPrompt: "canary", tools: [], params: {} };
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

async function seed(store: RolloutStore, percent = 50): Promise<void> {
  const { versionHash } = await import("@agent-canary/conventions");
  await transition(store, DEPLOYMENT, start({ deployment: DEPLOYMENT, baseline: { hash: versionHash(BASELINE) }, canary: { hash: versionHash(CANARY) }, stages: stagesFrom([percent, 100], 3600, 0) }), { by: "bench", reason: "seed" });
}

async function receiverOn(store: RolloutStore): Promise<{ receiver: Receiver; url: string }> {
  const receiver = createReceiver({ config: ReceiverConfigSchema.parse({ host: "127.0.0.1", port: 0, auth: { bearerTokens: [TOKEN] } }), store, logger: false });
  return { receiver, url: await receiver.listen() };
}

const rollbackBody = () => alertmanagerBody([{ labels: { alertname: "CostGate", deployment: DEPLOYMENT, action: "rollback" } }]);

interface Sample {
  at: number;
  group: string;
}

/** `count` agent runtimes, each starting a session every `everyMs`, recording each session's group. */
async function routers(url: string, count: number, everyMs: number): Promise<{ samples: Sample[]; stop: () => Promise<void> }> {
  const samples: Sample[] = [];
  const runtimes = Array.from({ length: count }, () => new AgentCanary({ deployment: DEPLOYMENT, versions: { baseline: BASELINE, canary: CANARY }, store: new RedisStore({ url }), guards: { mode: "record" }, logger: quiet }));
  let n = 0;
  // Warm up: every runtime has its first state.
  await Promise.all(runtimes.map((r) => r.session({ id: `warm-${n++}` }, () => undefined)));
  const timers = runtimes.map((runtime) =>
    setInterval(() => {
      void runtime.session({ id: `s-${n++}` }, (s) => samples.push({ at: Date.now(), group: s.group }));
    }, everyMs),
  );
  return {
    samples,
    stop: async () => {
      for (const t of timers) clearInterval(t);
      await Promise.all(runtimes.map((r) => r.close()));
    },
  };
}

function canaryBetween(samples: Sample[], from: number, to: number): { total: number; canary: number; lastCanary: number | undefined } {
  const window = samples.filter((s) => s.at >= from && s.at < to);
  const canary = window.filter((s) => s.group === "canary");
  return { total: window.length, canary: canary.length, lastCanary: canary.at(-1)?.at };
}

/** Issue 13 item 2: SIGSTOP 90 s: webhooks hung, /healthz hung, 876 of 1,756 new sessions went to the canary. */
export async function hungRedis(freezeSeconds: number): Promise<FaultRow> {
  const redis = await startRedis();
  const store = new RedisStore({ url: redis.redisUrl });
  await seed(store);
  const { receiver, url } = await receiverOn(store);
  const sessions = await routers(redis.redisUrl, 3, 20);
  const frozenAt = Date.now();
  redis.process.kill("SIGSTOP");
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const during = await postHook(`${url}/hooks/alertmanager`, rollbackBody());
  const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.status, () => 0);
  const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.status, () => 0);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, freezeSeconds * 1000 - (Date.now() - frozenAt))));
  redis.process.kill("SIGCONT");
  const resumedAt = Date.now();
  const retry = await postHook(`${url}/hooks/alertmanager`, rollbackBody());
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await sessions.stop();
  const frozen = canaryBetween(sessions.samples, frozenAt, resumedAt);
  const afterAck = canaryBetween(sessions.samples, Date.now() - 2_000, Date.now());
  await receiver.close();
  await redis.stop();
  const failClosedS = frozen.lastCanary === undefined ? 0 : (frozen.lastCanary - frozenAt) / 1000;
  return {
    area: "redis store",
    fault: `hung Redis (SIGSTOP ${freezeSeconds} s), 3 agent replicas starting 50 sessions/s each, canary at 50%`,
    tries: `${frozen.total} sessions during the freeze, 2 rollback deliveries`,
    unwanted: canaryBetween(sessions.samples, frozenAt + 6_500, resumedAt).canary + afterAck.canary,
    errors5xx: during.status >= 500 ? 1 : 0,
    crashes: 0,
    lostAcks: retry.status === 200 ? 0 : 1,
    detail: `rollback during the freeze: ${during.status} after ${fmt(during.ms, 0)} ms (Alertmanager retries); /healthz ${health}, /readyz ${ready}; canary sessions during the freeze ${frozen.canary}/${frozen.total}, the last ${fmt(failClosedS, 1)} s after it began (staleness bound 5 s); retry after resume: ${retry.status}; canary sessions after it: ${afterAck.canary}`,
  };
}

/** Starts redis-server on a given port and directory (a restart of a killed one) and waits for PONG. */
async function redisAt(port: number, dir: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(findBinary("AGENT_CANARY_REDIS_BIN", ["redis-server"]), ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, ...args], { stdio: "ignore" });
  for (let i = 0; i < 600; i++) {
    if ((await redisCliCommand(port, "ping").catch(() => "")).includes("PONG")) return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("redis did not restart");
}

/** Issue 13 item 2: a stopped Redis: routers kept the canary for about 7 s (114-123 sessions). */
export async function stoppedRedis(): Promise<FaultRow> {
  const args = ["--appendonly", "yes", "--appendfsync", "always"];
  const redis = await startRedis({ args });
  const store = new RedisStore({ url: redis.redisUrl });
  await seed(store);
  const sessions = await routers(redis.redisUrl, 3, 20);
  const stoppedAt = Date.now();
  const exited = new Promise((resolve) => redis.process.once("exit", resolve));
  redis.process.kill("SIGKILL");
  await exited;
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const restarted = await redisAt(redis.port, redis.dir, args);
  const backAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  await sessions.stop();
  await store.close();
  const down = canaryBetween(sessions.samples, stoppedAt, backAt);
  const after = canaryBetween(sessions.samples, backAt + 2_000, Date.now());
  restarted.kill("SIGKILL");
  await redis.stop();
  return {
    area: "redis store",
    fault: "stopped Redis (SIGKILL, restarted 10 s later), 3 agent replicas, canary at 50%",
    tries: `${down.total} sessions while it was down`,
    unwanted: canaryBetween(sessions.samples, stoppedAt + 6_500, backAt).canary,
    errors5xx: 0,
    crashes: 0,
    lostAcks: 0,
    detail: `canary sessions while down ${down.canary}/${down.total}, the last ${fmt(((down.lastCanary ?? stoppedAt) - stoppedAt) / 1000, 1)} s after the stop; back to the 50% split after the restart: ${after.canary}/${after.total} canary`,
  };
}

/** Issue 13 item 3: with default persistence a rollback acknowledged with 2xx is lost when Redis is killed right after (3 of 3). */
export async function killAfterAck(runs: number): Promise<FaultRow[]> {
  const configs: { name: string; args: string[]; baseline?: boolean }[] = [
    { name: "RDB snapshots only (Redis's default persistence; the receiver warns, or refuses with --require-durable-store)", args: ["--save", "3600 1 300 100 60 10000", "--appendonly", "no"], baseline: true },
    { name: "appendonly yes, appendfsync everysec", args: ["--appendonly", "yes", "--appendfsync", "everysec"] },
    { name: "appendonly yes, appendfsync always", args: ["--appendonly", "yes", "--appendfsync", "always"] },
  ];
  const rows: FaultRow[] = [];
  for (const config of configs) {
    let lost = 0;
    let warned = 0;
    for (let run = 0; run < runs; run++) {
      const redis: RedisHandle = await startRedis({ args: config.args });
      const store = new RedisStore({ url: redis.redisUrl });
      await seed(store);
      // A snapshot taken while the canary had 50%, as a periodic save would.
      await redisCliCommand(redis.port, "save");
      if (!(await store.durability()).durable) warned++;
      const { receiver, url } = await receiverOn(store);
      const ack = await postHook(`${url}/hooks/alertmanager`, rollbackBody());
      const exited = new Promise((resolve) => redis.process.once("exit", resolve));
      redis.process.kill("SIGKILL");
      await exited;
      await receiver.close();
      const restarted = await redisAt(redis.port, redis.dir, config.args);
      const again = new RedisStore({ url: redis.redisUrl });
      const state = await again.read(DEPLOYMENT);
      if (ack.status === 200 && state?.phase !== "rolled_back") lost++;
      await again.close();
      restarted.kill("SIGKILL");
      await redis.stop();
    }
    rows.push({
      area: "redis store",
      fault: `Redis SIGKILLed right after acknowledging a rollback: ${config.name}`,
      tries: `${runs} runs`,
      unwanted: 0,
      errors5xx: 0,
      crashes: 0,
      lostAcks: lost,
      detail: `the receiver's start-up check called it not durable in ${warned}/${runs}${lost ? "; after the restart the state was back at 50% canary" : ""}`,
      ...(config.baseline ? { baseline: true } : {}),
    });
  }
  return rows;
}

/** A rollback acknowledged with waitReplicas 1, then the master killed at once: does the promoted replica have it? */
export async function sentinelFailover(runs: number): Promise<FaultRow> {
  let lost = 0;
  const failover: number[] = [];
  for (let run = 0; run < runs; run++) {
    const topology = await startRedisSentinel();
    try {
      const store = new RedisStore({ url: topology.storeSpec, waitReplicas: 1 });
      await seed(store);
      const { receiver, url } = await receiverOn(store);
      const ack = await postHook(`${url}/hooks/alertmanager`, rollbackBody());
      const killedAt = Date.now();
      topology.master.process.kill("SIGKILL");
      await receiver.close();
      while ((await topology.currentMasterPort()) !== topology.replica.port) await new Promise((resolve) => setTimeout(resolve, 100));
      failover.push(Date.now() - killedAt);
      const reader = new RedisStore({ url: topology.storeSpec });
      let state;
      for (let i = 0; i < 100 && !state; i++) state = await reader.read(DEPLOYMENT).catch(() => undefined);
      if (ack.status === 200 && state?.phase !== "rolled_back") lost++;
      await reader.close();
    } finally {
      await topology.stop();
    }
  }
  return {
    area: "redis store",
    fault: "Sentinel failover: master SIGKILLed right after a rollback acknowledged with --redis-wait-replicas 1",
    tries: `${runs} failovers`,
    unwanted: 0,
    errors5xx: 0,
    crashes: 0,
    lostAcks: lost,
    detail: `replica promoted ${failover.map((ms) => `${fmt(ms / 1000, 1)} s`).join(", ")} after the kill (down-after 1 s)`,
  };
}

/** Redis Cluster: every deployment's keys in one hash slot, so the scripts run; 20 deployments rolled back through the receiver. */
export async function clusterRollbacks(deployments = 20): Promise<FaultRow> {
  const cluster = await startRedisCluster(3);
  const store = new RedisStore({ url: cluster.storeSpec });
  const names = Array.from({ length: deployments }, (_, i) => `dep-${i}`);
  let errors = 0;
  let lost = 0;
  try {
    const { versionHash } = await import("@agent-canary/conventions");
    for (const name of names) {
      await transition(store, name, start({ deployment: name, baseline: { hash: versionHash(BASELINE) }, canary: { hash: versionHash(CANARY) }, stages: stagesFrom([50, 100], 3600, 0) }), { by: "bench", reason: "seed" });
    }
    const { receiver, url } = await receiverOn(store);
    for (const name of names) {
      const { status } = await postHook(`${url}/hooks/alertmanager`, alertmanagerBody([{ labels: { alertname: "CostGate", deployment: name, action: "rollback" } }]));
      if (status >= 500) errors++;
      if (status === 200 && (await store.read(name))?.phase !== "rolled_back") lost++;
    }
    await receiver.close();
  } finally {
    await cluster.stop();
  }
  return { area: "redis store", fault: "Redis Cluster, 3 masters", tries: `${deployments} deployments rolled back`, unwanted: 0, errors5xx: errors, crashes: 0, lostAcks: lost, detail: "keys of a deployment share the hash tag {deployment}" };
}
