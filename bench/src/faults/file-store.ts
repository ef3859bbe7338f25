/**
 * File-store faults of issue 13: writers in different PID namespaces, a PID-1 receiver
 * SIGKILLed and restarted, SIGKILLs under load, 50 concurrent clients on one deployment.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FileStore, setPercent, start, stagesFrom, StoreBusyError, transition, TransitionConflictError, type RolloutStore } from "@agent-canary/rollout-state";
import { quantile } from "../lib/stats.ts";
import { fmt } from "../lib/report.ts";
import { alertmanagerBody, kill, postHook, startReceiverProcess, type FaultRow } from "./lib.ts";

const WRITER = fileURLToPath(new URL("./writer.ts", import.meta.url));
const DEPLOYMENT = "shop";

export async function seeded(dir: string, deployment = DEPLOYMENT, percent = 50): Promise<FileStore> {
  const store = new FileStore({ dir });
  await transition(store, deployment, start({ deployment, baseline: { hash: "00000000000000aa" }, canary: { hash: "00000000000000bb" }, stages: stagesFrom([percent, 100], 3600, 0) }), { by: "bench", reason: "seed" });
  return store;
}

/** Audit revisions 0..n exactly once each, and the state at the last: nothing lost, nothing written twice. */
async function auditIntegrity(store: RolloutStore): Promise<{ revisions: number; duplicated: number; gaps: number; readable: boolean; stateRevision: number | undefined }> {
  const changes = (await store.auditLog(DEPLOYMENT)).filter((e) => e.fromRevision !== e.toRevision).map((e) => e.toRevision);
  const seen = new Set<number>();
  let duplicated = 0;
  for (const r of changes) (seen.has(r) ? duplicated++ : seen.add(r));
  const max = Math.max(...changes);
  let gaps = 0;
  for (let r = 0; r <= max; r++) if (!seen.has(r)) gaps++;
  const state = await store.read(DEPLOYMENT).catch(() => undefined);
  return { revisions: max, duplicated, gaps, readable: state !== undefined, stateRevision: state?.revision };
}

function runWriter(dir: string, count: number, pid1: boolean): Promise<{ acks: number[]; code: number | null }> {
  const command = pid1 ? ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", process.execPath, WRITER] : [process.execPath, WRITER];
  const [bin, ...rest] = command as [string, ...string[]];
  const child = spawn(bin, [...rest, dir, DEPLOYMENT, String(count)], { stdio: ["ignore", "pipe", "inherit"] });
  const acks: number[] = [];
  let buffered = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) if (line.startsWith("ack ")) acks.push(Number(line.slice(4)));
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve({ acks, code })));
}

/** Issue 13 item 1: 7 of 7 runs wrote revisions twice; 6 left the state unreadable; 37 acks lost. */
export async function pidNamespaceWriters(runs: number, perWriter = 20): Promise<FaultRow> {
  let duplicated = 0;
  let crashes = 0;
  let lost = 0;
  let unreadable = 0;
  for (let run = 0; run < runs; run++) {
    const dir = await mkdtemp(join(tmpdir(), "faults-pidns-"));
    const store = await seeded(dir);
    const results = await Promise.all([...[0, 1, 2].map(() => runWriter(dir, perWriter, true)), ...[0, 1, 2].map(() => runWriter(dir, perWriter, false))]);
    crashes += results.filter((r) => r.code !== 0).length;
    const integrity = await auditIntegrity(store);
    duplicated += integrity.duplicated;
    if (!integrity.readable) unreadable++;
    const acked = results.flatMap((r) => r.acks);
    lost += acked.filter((rev) => rev > (integrity.stateRevision ?? -1)).length + integrity.gaps;
    await rm(dir, { recursive: true, force: true });
  }
  return {
    area: "file store",
    fault: "two writers' sets in different PID namespaces (3 writers as PID 1 of their own namespace, 3 on the host)",
    tries: `${runs} runs x ${6 * perWriter} writes`,
    unwanted: duplicated,
    errors5xx: 0,
    crashes,
    lostAcks: lost,
    detail: `duplicated revisions ${duplicated}, runs ending with an unreadable state ${unreadable}/${runs}`,
  };
}

/** Sends capability-off webhooks (a new capability each time, so each is a change) until stopped; records the acknowledged ones. */
function capabilityLoad(url: string, concurrency: number): { acked: Set<string>; statuses: Map<number, number>; stop: () => Promise<void> } {
  const acked = new Set<string>();
  const statuses = new Map<number, number>();
  let next = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped) {
      const name = `c${next++}`;
      const { status } = await postHook(`${url}/hooks/alertmanager`, alertmanagerBody([{ labels: { alertname: "ToolErrors", deployment: DEPLOYMENT, capability: name } }]), undefined, 20_000);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 200) acked.add(name);
      if (status === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return { acked, statuses, stop: async () => void ((stopped = true), await Promise.all(workers)) };
}

async function lostCapabilities(store: RolloutStore, acked: Set<string>): Promise<number> {
  const state = await store.read(DEPLOYMENT);
  return [...acked].filter((name) => state?.capabilities[name]?.enabled !== false).length;
}

/**
 * Issue 13 item 1: a receiver running as PID 1, SIGKILLed and restarted as PID 1 again, took the
 * dead lock for a live one: about 30 s of 500s, no rollback possible (3 of 3).
 */
export async function pid1ReceiverRestart(runs: number): Promise<FaultRow> {
  let errors = 0;
  let lost = 0;
  let lockLeft = 0;
  let crashes = 0;
  const firstOk: number[] = [];
  for (let run = 0; run < runs; run++) {
    const dir = await mkdtemp(join(tmpdir(), "faults-pid1-"));
    const store = await seeded(dir);
    let receiver = await startReceiverProcess({ store: `file:${dir}`, pid1: true });
    const load = capabilityLoad(receiver.url, 4);
    // Kill it mid-write, as often as it takes for the kill to leave its lock behind.
    for (let attempt = 0; attempt < 20; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 300));
      await kill(receiver);
      if (existsSync(join(dir, `${DEPLOYMENT}.lock`))) break;
      receiver = await startReceiverProcess({ store: `file:${dir}`, pid1: true, port: Number(new URL(receiver.url).port) });
    }
    if (existsSync(join(dir, `${DEPLOYMENT}.lock`))) lockLeft++;
    const before = new Map(load.statuses);
    const restarted = Date.now();
    receiver = await startReceiverProcess({ store: `file:${dir}`, pid1: true, port: Number(new URL(receiver.url).port) });
    const okBefore = load.statuses.get(200) ?? 0;
    while ((load.statuses.get(200) ?? 0) < okBefore + 20) await new Promise((resolve) => setTimeout(resolve, 10));
    firstOk.push(Date.now() - restarted);
    await load.stop();
    for (const [status, n] of load.statuses) if (status >= 500) errors += n - (before.get(status) ?? 0);
    lost += await lostCapabilities(store, load.acked);
    // Died on its own while it was supposed to be serving?
    if (receiver.child.exitCode !== null) crashes++;
    // unshare ignores SIGTERM (it forwards nothing to PID 1): end the namespace with SIGKILL.
    await kill(receiver);
    await rm(dir, { recursive: true, force: true });
  }
  return {
    area: "file store",
    fault: "receiver as PID 1 SIGKILLed holding the lock, restarted as PID 1 (new PID namespace)",
    tries: `${runs} restarts (lock left behind in ${lockLeft})`,
    unwanted: 0,
    errors5xx: errors,
    crashes,
    lostAcks: lost,
    detail: `restart to 20 more acknowledged changes: ${firstOk.map((ms) => `${fmt(ms / 1000, 1)} s`).join(", ")} (lease 5 s)`,
  };
}

/** Issue 13 "what held": no acknowledged transition lost over 65 SIGKILLs; item 4: readers one revision behind the audit in 6 of 35 kills. */
export async function receiverKills(kills: number): Promise<FaultRow> {
  const dir = await mkdtemp(join(tmpdir(), "faults-kill-"));
  const store = await seeded(dir);
  let receiver = await startReceiverProcess({ store: `file:${dir}` });
  const port = Number(new URL(receiver.url).port);
  const load = capabilityLoad(receiver.url, 4);
  let behind = 0;
  let crashes = 0;
  for (let k = 0; k < kills; k++) {
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150));
    if (receiver.child.exitCode !== null) crashes++;
    await kill(receiver);
    // Right after the kill, before any write: a reader must see the audit log's last revision.
    const last = (await store.auditLog(DEPLOYMENT, { limit: 1 }))[0];
    if ((await store.read(DEPLOYMENT))?.revision !== last?.toRevision) behind++;
    receiver = await startReceiverProcess({ store: `file:${dir}`, port });
  }
  await load.stop();
  const lost = await lostCapabilities(store, load.acked);
  const integrity = await auditIntegrity(store);
  await kill(receiver, "SIGTERM");
  await rm(dir, { recursive: true, force: true });
  const errors = [...load.statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
  return {
    area: "file store",
    fault: "receiver SIGKILLed at random instants under 4 concurrent writing clients",
    tries: `${kills} kills, ${load.acked.size} changes acknowledged`,
    unwanted: integrity.duplicated,
    errors5xx: errors,
    crashes,
    lostAcks: lost + integrity.gaps,
    detail: `readers behind the audit log right after a kill: ${behind}/${kills}; refused connections while it was down (clients retry every 20 ms): ${load.statuses.get(0) ?? 0}`,
  };
}

/**
 * One round: `clients` transitions at once on one deployment; returns each one's latency and the
 * failures a webhook would have answered 5xx (gave up on compare-and-set, or on the lock).
 */
async function round(stores: RolloutStore[], clients: number, base: number): Promise<{ ms: number[]; conflicts: number; busy: number }> {
  let conflicts = 0;
  let busy = 0;
  const ms = await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const startedAt = performance.now();
      try {
        await transition(stores[i % stores.length] as RolloutStore, DEPLOYMENT, setPercent(DEPLOYMENT, ((base + i) % 99) + 1), { by: `client-${i}`, reason: "load" });
      } catch (error) {
        if (error instanceof TransitionConflictError) conflicts++;
        else if (error instanceof StoreBusyError) busy++;
        else throw error;
      }
      return performance.now() - startedAt;
    }),
  );
  return { ms, conflicts, busy };
}

/**
 * Issue 13 item 4: 50 concurrent clients on one deployment gave p99 14.5 s and TransitionConflictErrors.
 * Ours: one store object per process (writes queue). Baseline, same run: one store object per client,
 * which races them on the lock and compare-and-set as the store did before queueing.
 */
export async function concurrentClients(rounds: number, clients = 50): Promise<FaultRow> {
  const measure = async (perClientStores: boolean) => {
    const dir = await mkdtemp(join(tmpdir(), "faults-conc-"));
    await seeded(dir);
    const stores = perClientStores ? Array.from({ length: clients }, () => new FileStore({ dir })) : [new FileStore({ dir })];
    const all: number[] = [];
    let conflicts = 0;
    let busy = 0;
    for (let r = 0; r < rounds; r++) {
      const result = await round(stores, clients, r * clients);
      all.push(...result.ms);
      conflicts += result.conflicts;
      busy += result.busy;
    }
    await rm(dir, { recursive: true, force: true });
    return { p50: quantile(all, 0.5), p99: quantile(all, 0.99), conflicts, busy };
  };
  const baseline = await measure(true);
  const ours = await measure(false);
  return {
    area: "file store",
    fault: `${clients} concurrent clients changing one deployment`,
    tries: `${rounds} rounds x ${clients}`,
    unwanted: 0,
    errors5xx: ours.conflicts + ours.busy,
    crashes: 0,
    lostAcks: 0,
    detail: `queued (ours): p50 ${fmt(ours.p50, 0)} ms, p99 ${fmt(ours.p99, 0)} ms, ${ours.conflicts} TransitionConflictError, ${ours.busy} StoreBusyError; unqueued baseline (a store object per client, same run): p50 ${fmt(baseline.p50, 0)} ms, p99 ${fmt(baseline.p99, 0)} ms, ${baseline.conflicts} TransitionConflictError, ${baseline.busy} StoreBusyError (each a 5xx to a webhook); p99 ratio ${fmt(baseline.p99 / ours.p99, 1)}x`,
  };
}
