/**
 * Data faults of issue 13 items 4-5 that used to make every rollback fail for good while
 * routers kept the canary: each is set up, then a rollback alert is delivered `tries` times
 * through a real receiver, and what routers see is read through the store's watch.
 */
import { appendFile, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createReceiver, ReceiverConfigSchema } from "@agent-canary/rollout";
import { FileStore, MAX_REVISION, RedisStore, start, stagesFrom, transition, type RolloutStore, type StateEvent } from "@agent-canary/rollout-state";
import { redisCliCommand, startRedis } from "@agent-canary/testkit";
import { alertmanagerBody, postHook, TOKEN, type FaultRow } from "./lib.ts";

const DEPLOYMENT = "shop";

async function seed(store: RolloutStore): Promise<void> {
  await transition(store, DEPLOYMENT, start({ deployment: DEPLOYMENT, baseline: { hash: "00000000000000aa" }, canary: { hash: "00000000000000bb" }, stages: stagesFrom([50, 100], 3600, 0) }), { by: "bench", reason: "seed" });
}

/** What a router following the store would do now: canary percent, or "fails closed". */
async function routerView(store: RolloutStore): Promise<string> {
  const event = await new Promise<StateEvent>((resolve) => {
    const stop = store.watch(DEPLOYMENT, (e) => {
      setImmediate(() => stop());
      resolve(e);
    });
  });
  return event.kind === "state" ? `canary ${event.state.canaryPercent}%` : `fails closed (${event.kind})`;
}

interface Case {
  fault: string;
  area: string;
  /** Breaks the data after seeding. */
  setUp: (store: RolloutStore, where: string) => Promise<void>;
  /** Labels of the alert delivered `tries` times. */
  labels: Record<string, string>;
  status?: "firing" | "resolved";
  /** Which deliveries may change the state (the first rollback); any other change is unwanted. */
  allowedChanges: number;
}

async function runCase(c: Case, store: RolloutStore, where: string, tries: number): Promise<FaultRow> {
  await seed(store);
  await c.setUp(store, where);
  const receiver = createReceiver({ config: ReceiverConfigSchema.parse({ host: "127.0.0.1", port: 0, auth: { bearerTokens: [TOKEN] } }), store, logger: false });
  const url = await receiver.listen();
  const statuses = new Map<number, number>();
  const revisionBefore = (await store.read(DEPLOYMENT).catch(() => undefined))?.revision;
  for (let i = 0; i < tries; i++) {
    const { status } = await postHook(`${url}/hooks/alertmanager`, alertmanagerBody([{ labels: { alertname: "CostGate", deployment: DEPLOYMENT, ...c.labels }, ...(c.status ? { status: c.status } : {}) }]));
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }
  const after = await store.read(DEPLOYMENT).catch(() => undefined);
  const changes = after && revisionBefore !== undefined ? after.revision - revisionBefore : 0;
  const view = await routerView(store);
  await receiver.close();
  return {
    area: c.area,
    fault: c.fault,
    tries: `${tries} deliveries`,
    unwanted: Math.max(0, changes - c.allowedChanges),
    errors5xx: [...statuses].filter(([s]) => s >= 500).reduce((n, [, k]) => n + k, 0),
    crashes: 0,
    lostAcks: 0,
    detail: `replies ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(", ")}; routers now: ${view}${after ? `, phase ${after.phase}` : ""}`,
  };
}

const rollback = { action: "rollback" };

export async function fileDataFaults(tries: number): Promise<FaultRow[]> {
  const cases: Case[] = [
    {
      area: "file store",
      fault: "corrupt last audit line",
      setUp: (_s, dir) => appendFile(join(dir, `${DEPLOYMENT}.audit.jsonl`), '{"not": "an audit entry"}\n'),
      labels: rollback,
      allowedChanges: 1,
    },
    {
      area: "file store",
      fault: "revision 2^53-1 in the state file",
      setUp: async (s, dir) => writeFile(join(dir, `${DEPLOYMENT}.json`), JSON.stringify({ ...(await s.read(DEPLOYMENT)), revision: MAX_REVISION })),
      labels: rollback,
      allowedChanges: 0,
    },
    {
      area: "file store",
      fault: "state file replaced by a symlink to another file",
      setUp: async (_s, dir) => {
        await writeFile(join(dir, "elsewhere.txt"), "root:x:0:0:root:/root:/bin/bash\n");
        await rm(join(dir, `${DEPLOYMENT}.json`));
        await symlink(join(dir, "elsewhere.txt"), join(dir, `${DEPLOYMENT}.json`));
      },
      labels: rollback,
      allowedChanges: 0,
    },
    { area: "file store", fault: "capability label __proto__", setUp: async () => undefined, labels: { capability: "__proto__" }, allowedChanges: 0 },
  ];
  const rows: FaultRow[] = [];
  for (const c of cases) {
    const dir = await mkdtemp(join(tmpdir(), "faults-data-"));
    rows.push(await runCase(c, new FileStore({ dir }), dir, tries));
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

export async function redisDataFaults(tries: number): Promise<FaultRow[]> {
  const redis = await startRedis();
  let n = 0;
  const cases: Case[] = [
    { area: "redis store", fault: "revision field disagrees with the state JSON", setUp: async (_s, prefix) => void (await redisCliCommand(redis.port, "hset", `${prefix}{${DEPLOYMENT}}:state`, "revision", "41")), labels: rollback, allowedChanges: 1 },
    { area: "redis store", fault: "lone UTF-16 surrogate in a label, resolved deliveries", setUp: async () => undefined, labels: { ...rollback, summary: "cost \ud800 up" }, status: "resolved", allowedChanges: 0 },
    { area: "redis store", fault: "lone UTF-16 surrogate in a label, duplicate deliveries", setUp: async () => undefined, labels: { ...rollback, note: "x\udfff" }, allowedChanges: 1 },
    { area: "redis store", fault: "capability label __proto__", setUp: async () => undefined, labels: { capability: "__proto__" }, allowedChanges: 0 },
  ];
  const rows: FaultRow[] = [];
  try {
    for (const c of cases) {
      const prefix = `fault${++n}:`;
      rows.push(await runCase(c, new RedisStore({ url: redis.redisUrl, prefix }), prefix, tries));
    }
  } finally {
    await redis.stop();
  }
  return rows;
}
