/**
 * The webhook receiver under bounded load on loopback (autocannon as a
 * library): valid Alertmanager notifications, and rejected ones (401, 400).
 * Afterwards the audit log and revisions are checked: every deployment rolled
 * back exactly once, nothing lost, nothing duplicated.
 *   node src/receiver/main.ts [--seconds 5] [--connections 10] [--deployments 20]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { createReceiver, ReceiverConfigSchema } from "@agent-canary/rollout";
import { FileStore, RedisStore, start, transition, type RolloutStore } from "@agent-canary/rollout-state";
import { freePort, startRedis } from "@agent-canary/testkit";
import { fmt, table, writeResult } from "../lib/report.ts";

const TOKEN = "bench-receiver-token-0123456789";

/** An Alertmanager v4 notification; `startsAt` must postdate the rollout, or the receiver rightly treats it as stale. */
function notification(deployment: string, startsAt: string, status: "firing" | "resolved" = "firing"): string {
  return JSON.stringify({
    version: "4",
    groupKey: `{}:{deployment="${deployment}"}`,
    truncatedAlerts: 0,
    status,
    receiver: "agent-canary",
    groupLabels: { deployment },
    commonLabels: { alertname: "AgentCanaryCostRegression", deployment, action: "rollback", severity: "critical" },
    commonAnnotations: { summary: "canary cost per session above tolerance" },
    externalURL: "http://127.0.0.1:9093",
    alerts: [
      {
        status,
        labels: { alertname: "AgentCanaryCostRegression", deployment, action: "rollback", severity: "critical", gate: "cost" },
        annotations: { summary: "canary cost per session above tolerance" },
        startsAt,
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: "http://127.0.0.1:9090/graph",
        fingerprint: `fp${deployment.replace(/[^a-z0-9]/g, "")}`,
      },
    ],
  });
}

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `bench-rcv-${i}`);

async function seed(store: RolloutStore, deployments: readonly string[]): Promise<void> {
  for (const deployment of deployments) {
    await transition(
      store,
      deployment,
      start({ deployment, baseline: { hash: "0123456789abcdef" }, canary: { hash: "fedcba9876543210" }, stages: [{ percent: 5, minDurationSeconds: 3600, minSessionsPerArm: 0 }] }),
      { by: "bench", reason: "receiver benchmark" },
    );
  }
}

interface Load {
  label: string;
  headers: Record<string, string>;
  bodies: string[];
  /** 2xx replies per body index, counted as they arrive. */
  acked?: number[];
}

interface LoadResult {
  label: string;
  rps: number;
  p50: number;
  p99: number;
  statuses: string;
  errors: number;
}

async function load(url: string, l: Load, seconds: number, connections: number): Promise<LoadResult> {
  const result = await autocannon({
    url: `${url}/hooks/alertmanager`,
    connections,
    duration: seconds,
    requests: l.bodies.map((body, i) => ({
      method: "POST" as const,
      headers: { "content-type": "application/json", ...l.headers },
      body,
      onResponse: (status: number) => {
        if (l.acked && status >= 200 && status < 300) l.acked[i] = (l.acked[i] ?? 0) + 1;
      },
    })),
  });
  const statuses = Object.entries(result.statusCodeStats ?? {})
    .map(([code, s]) => `${code}: ${(s as { count: number }).count}`)
    .join(", ");
  return { label: l.label, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, statuses, errors: result.errors + result.timeouts };
}

interface Integrity {
  acked: number;
  changed: number;
  recorded: number;
  problems: string[];
}

/**
 * Every deployment that got a 2xx is rolled back by exactly one transition
 * (revision 0 → 1, canary 0%), and every further 2xx left a recorded-only
 * audit entry. Records may exceed acknowledged duplicates by the requests in
 * flight when autocannon stopped counting (at most one per connection):
 * those were processed and made durable, only their reply went unread.
 */
async function integrity(store: RolloutStore, deployments: readonly string[], acked: readonly number[], connections: number): Promise<Integrity> {
  const out: Integrity = { acked: 0, changed: 0, recorded: 0, problems: [] };
  for (const [i, d] of deployments.entries()) {
    const replies = acked[i] ?? 0;
    const state = await store.read(d);
    const log = await store.auditLog(d);
    const changes = log.filter((e) => e.toRevision !== e.fromRevision && e.action === "rollback").length;
    const records = log.filter((e) => e.toRevision === e.fromRevision).length;
    Object.assign(out, { acked: out.acked + replies, changed: out.changed + changes, recorded: out.recorded + records });
    const rolledBack = state?.revision === 1 && state.phase === "rolled_back" && state.canaryPercent === 0;
    const expected = replies === 0 ? changes <= 1 : rolledBack && changes === 1 && records >= replies - 1 && records <= replies - 1 + connections;
    if (!expected) out.problems.push(`${d}: ${replies} acked, revision ${state?.revision}, phase ${state?.phase}, ${changes} transitions, ${records} records`);
  }
  return out;
}

async function run(kind: "file" | "redis", open: () => RolloutStore, seconds: number, connections: number, deployments: readonly string[]): Promise<{ rows: string[][]; check: string }> {
  const store = open();
  await seed(store, deployments);
  const config = ReceiverConfigSchema.parse({ port: await freePort(), auth: { bearerTokens: [TOKEN] } });
  const receiver = createReceiver({ config, store, logger: false });
  const url = await receiver.listen();
  const startsAt = new Date().toISOString();
  const valid = deployments.map((d) => notification(d, startsAt));
  const acked: number[] = [];
  const loads: Load[] = [
    { label: `valid firing rollback, ${deployments.length} deployments (first per deployment changes state, the rest are duplicates)`, headers: { authorization: `Bearer ${TOKEN}` }, bodies: valid, acked },
    { label: "401: wrong bearer token", headers: { authorization: "Bearer not-the-token-000000000000" }, bodies: valid },
    { label: '400: payload version "3"', headers: { authorization: `Bearer ${TOKEN}` }, bodies: [notification(deployments[0] ?? "x", startsAt).replace('"version":"4"', '"version":"3"')] },
  ];
  const rows: string[][] = [];
  for (const l of loads) {
    const r = await load(url, l, seconds, connections);
    rows.push([kind, r.label, fmt(r.rps, 0), fmt(r.p50, 1), fmt(r.p99, 1), r.statuses, String(r.errors)]);
  }
  // close() closes the receiver's store too; check through a fresh one, as an operator would.
  await receiver.close();
  const reopened = open();
  const check = await integrity(reopened, deployments, acked, connections);
  await reopened.close();
  const verdict = check.problems.length === 0 ? "zero lost, zero duplicated transitions" : `PROBLEMS: ${check.problems.slice(0, 3).join("; ")}`;
  const unread = check.changed + check.recorded - check.acked;
  const reached = acked.filter((n) => n > 0).length;
  return {
    rows,
    check: `${kind}: ${check.acked} valid notifications acknowledged (2xx) for ${reached}/${deployments.length} deployments; ${check.changed} rollback transitions (one per acknowledged deployment) + ${check.recorded} duplicate deliveries recorded without a state change = ${check.changed + check.recorded} durable audit entries (${unread} more than the replies autocannon read: requests in flight when it stopped); ${verdict}.`,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, connections: { type: "string", default: "10" }, deployments: { type: "string", default: "20" } } });
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const deployments = names(Number(values.deployments));
  const dir = await mkdtemp(join(tmpdir(), "bench-receiver-"));
  const redis = await startRedis();
  try {
    const file = await run("file", () => new FileStore({ dir }), seconds, connections, deployments);
    const red = await run("redis", () => new RedisStore({ url: redis.redisUrl }), seconds, connections, deployments);
    writeResult(
      "receiver",
      "Webhook receiver under bounded load",
      `autocannon (library) on loopback, ${connections} connections, ${seconds} s per row, POST /hooks/alertmanager with Alertmanager v4 payloads; the receiver (fastify, logging off) and autocannon share the machine's 2 cores. ` +
        `A 2xx reply means the change (or the record of a duplicate) is durable: FileStore fsyncs, the throwaway redis-server runs without persistence.\n\n` +
        table(["store", "requests", "req/s", "p50 ms", "p99 ms", "status codes", "errors + timeouts"], [...file.rows, ...red.rows]) +
        `\n\n## Integrity after the load\n\n- ${file.check}\n- ${red.check}\n`,
    );
  } finally {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
