import { basename } from "node:path";
import { Staleness } from "../staleness.js";
import type { StateEvent } from "../store.js";
import { deliver, eventKey } from "../watch-events.js";
import { watchDirectory, type WatchFunction } from "./dir-watch.js";

export interface StateFileWatchOptions {
  dir: string;
  file: string;
  pollIntervalMs: number;
  debounceMs: number;
  /** Past this without a read that reached the file system, the watcher is told `unavailable`. */
  staleAfterMs: number;
  /** Reads the committed state; never throws (a failure is an `invalid` or `unavailable` event). */
  readEvent: () => Promise<StateEvent>;
  onEvent: (event: StateEvent) => void;
  /** fs.watch, replaced in tests by one that drops events. */
  watch?: WatchFunction;
}

/**
 * Watches one state file: fs.watch on the directory (a rename replaces the inode,
 * so watching the file itself would go deaf after the first write; watchDirectory keeps
 * it armed through the directory's removal and recreation), debounced, plus a slow poll
 * because fs.watch can drop events (network file systems, overflow).
 * A rename onto the state file (how FileStore commits) is read at once, without waiting
 * for the debounce; other events (in-place edits, deletions) are debounced.
 * Only a changed document is reported; timers and the watcher never keep the process alive.
 */
export function watchStateFile(options: StateFileWatchOptions): () => void {
  const name = basename(options.file);
  let lastKey: string | undefined;
  let stopped = false;
  let debounce: NodeJS.Timeout | undefined;
  let reading = false;
  let again = false;
  const report = (event: StateEvent): void => {
    const key = eventKey(event);
    if (stopped || key === lastKey) return;
    lastKey = key;
    deliver(options.onEvent, event);
  };
  const staleness = new Staleness(options.staleAfterMs, (error) => report({ kind: "unavailable", error }), "the file store");

  // `eager`: the read right after the state file was renamed into place. rename(2) is
  // atomic, so that read sees a whole document; anything else it sees (an external,
  // non-atomic create caught half-written) is not reported from there, the debounced
  // follow-up read reports what the file settles to.
  const check = async (eager = false): Promise<void> => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      let first = true;
      do {
        again = false;
        const event = await options.readEvent();
        // A read that failed confirms nothing; the staleness bound, not one failed read, fails routers closed.
        if (event.kind !== "unavailable") {
          staleness.confirm();
          if (!(first && eager) || event.kind === "state") report(event);
        }
        first = false;
      } while (again && !stopped);
    } finally {
      reading = false;
    }
  };
  // A pending read is not pushed back by later events: under a burst of events the
  // read still happens debounceMs after the first one (any later change is caught by
  // the `again` loop or by the next event's read).
  const schedule = (): void => {
    if (stopped || debounce) return;
    debounce = setTimeout(() => {
      debounce = undefined;
      void check();
    }, options.debounceMs);
    debounce.unref();
  };

  const directory = watchDirectory({
    dir: options.dir,
    watch: options.watch,
    onEvent: (eventType, filename) => {
      if (filename !== null && filename !== name) return;
      // The store commits by renaming the staged file over the state file, which arrives
      // as a "rename" event naming it: read at once instead of after the debounce, and
      // still re-read after the debounce, so whatever the eager read missed (a write
      // racing it, an event coalesced with it) is caught without waiting for the poll.
      if (eventType === "rename" && filename === name) void check(true);
      schedule();
    },
    onRearm: () => void check(),
  });
  const poll = setInterval(() => {
    void directory.verify();
    void check();
  }, options.pollIntervalMs);
  poll.unref();
  void check();

  return () => {
    stopped = true;
    staleness.stop();
    clearTimeout(debounce);
    debounce = undefined;
    clearInterval(poll);
    directory.close();
  };
}
