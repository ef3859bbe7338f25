/**
 * Time from a state change (the writer's compareAndSet call) until each of N
 * router processes has seen it, for FileStore and RedisStore.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setPercent, start, transition, type RolloutStore } from "@agent-canary/rollout-state";
import { openBenchStore, wallNow, type StoreKind } from "./stores.ts";

const WATCHER = fileURLToPath(new URL("./watcher.ts", import.meta.url));
const DEPLOYMENT = "bench-routing";
const META = { by: "bench", reason: "propagation benchmark" };

interface Seen {
  revision: number;
  at: number;
}

export interface PropagationResult {
  store: StoreKind;
  routers: number;
  changes: number;
  /** Per change: ms from the write call until the last router saw it. */
  allSeenMs: number[];
  /** Per change and router: ms from the write call until that router saw it. */
  eachSeenMs: number[];
  /** Per change: ms the compareAndSet took to resolve (durable). */
  writeMs: number[];
  missed: number;
}

function startWatchers(kind: StoreKind, where: string, n: number, seen: Map<number, number[]>): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: n }, () => {
      const child = fork(WATCHER, [kind, where, DEPLOYMENT], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
      return new Promise<ChildProcess>((resolve, reject) => {
        child.on("message", (m: Seen | { ready: true }) => {
          if ("ready" in m) return resolve(child);
          const list = seen.get(m.revision) ?? [];
          list.push(m.at);
          seen.set(m.revision, list);
        });
        child.once("error", reject);
      });
    }),
  );
}

async function waitSeen(seen: Map<number, number[]>, revision: number, n: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while ((seen.get(revision)?.length ?? 0) < n) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return true;
}

async function seed(store: RolloutStore): Promise<number> {
  const started = await transition(
    store,
    DEPLOYMENT,
    start({ deployment: DEPLOYMENT, baseline: { hash: "0123456789abcdef" }, canary: { hash: "fedcba9876543210" }, stages: [{ percent: 1, minDurationSeconds: 0, minSessionsPerArm: 0 }] }),
    META,
  );
  if (started.status !== "changed") throw new Error(`could not seed the state: ${started.reason}`);
  return started.state.revision;
}

export async function measurePropagation(kind: StoreKind, where: string, routers: number, changes: number): Promise<PropagationResult> {
  const writer = openBenchStore(kind, where);
  let revision = await seed(writer);
  const seen = new Map<number, number[]>();
  const children = await startWatchers(kind, where, routers, seen);
  await waitSeen(seen, revision, routers, 10_000);
  const result: PropagationResult = { store: kind, routers, changes, allSeenMs: [], eachSeenMs: [], writeMs: [], missed: 0 };
  for (let i = 0; i < changes; i++) {
    // Distinct percents so every change is a real transition; a pause between changes keeps them apart.
    const t0 = wallNow();
    const res = await transition(writer, DEPLOYMENT, setPercent(DEPLOYMENT, i % 2 === 0 ? 0 : 5 + (i % 40)), META);
    result.writeMs.push(wallNow() - t0);
    if (res.status !== "changed") throw new Error(`change ${i} did not apply: ${res.reason}`);
    revision = res.state.revision;
    if (!(await waitSeen(seen, revision, routers, 5_000))) {
      result.missed++;
      continue;
    }
    const times = (seen.get(revision) ?? []).map((at) => at - t0);
    result.eachSeenMs.push(...times);
    result.allSeenMs.push(Math.max(...times));
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 50));
  }
  for (const child of children) child.send({ stop: true });
  await Promise.all(children.map((c) => new Promise((r) => c.once("exit", r))));
  await writer.close();
  return result;
}

export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "bench-routing-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
