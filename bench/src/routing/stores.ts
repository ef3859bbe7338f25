import { FileStore, RedisStore, type RolloutStore } from "@agent-canary/rollout-state";

export type StoreKind = "file" | "redis";

/** Opens a store from a kind and its address (a directory, or a redis:// URL). */
export function openBenchStore(kind: StoreKind, where: string): RolloutStore {
  // Default poll intervals: the figure must come from fs.watch / pub-sub, not from a tuned poll.
  return kind === "file" ? new FileStore({ dir: where }) : new RedisStore({ url: where });
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}
