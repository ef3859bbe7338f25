import type { StateEvent } from "@agent-canary/rollout-state";
import type { WatchFunction } from "../src/file/dir-watch.js";
import { watchStateFile } from "../src/file/watch.js";

/** A delay no test waits out: the timer it sets never fires during the test. */
export const NEVER = 2_000_000_000;

/**
 * A watcher whose reads are counted (each finds no state); `readsReach(n)` settles once n
 * reads ran. Each read is counted when the watcher asks for it, in the same turn as the
 * event or timer that asked.
 */
export function countReads(dir: string, file: string, { pollIntervalMs = NEVER, debounceMs = NEVER, watch }: { pollIntervalMs?: number; debounceMs?: number; watch?: WatchFunction } = {}) {
  let reads = 0;
  let waiting: { count: number; resolve: () => void } | undefined;
  const stop = watchStateFile({
    dir,
    file,
    pollIntervalMs,
    debounceMs,
    staleAfterMs: NEVER,
    readEvent: async () => {
      reads++;
      if (waiting && reads >= waiting.count) waiting.resolve();
      return { kind: "missing" } satisfies StateEvent;
    },
    onEvent: () => undefined,
    watch,
  });
  const readsReach = (count: number) => new Promise<void>((resolve) => (reads >= count ? resolve() : (waiting = { count, resolve })));
  return { stop, reads: () => reads, readsReach };
}
