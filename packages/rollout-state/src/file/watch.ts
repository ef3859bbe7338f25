import { watch as fsWatch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { RolloutState } from "../schema.js";
import type { StateEvent } from "../store.js";
import { deliver, eventKey } from "../watch-events.js";

export interface StateFileWatchOptions {
  dir: string;
  file: string;
  pollIntervalMs: number;
  debounceMs: number;
  parse: (raw: string) => RolloutState;
  onEvent: (event: StateEvent) => void;
}

/**
 * Watches one state file: fs.watch on the directory (a rename replaces the inode,
 * so watching the file itself would go deaf after the first write), debounced,
 * plus a slow poll because fs.watch can drop events (network file systems, overflow).
 * Only a changed document is reported; timers and the watcher never keep the process alive.
 */
export function watchStateFile(options: StateFileWatchOptions): () => void {
  const name = basename(options.file);
  let lastKey: string | undefined;
  let stopped = false;
  let debounce: NodeJS.Timeout | undefined;
  let reading = false;
  let again = false;

  const check = async (): Promise<void> => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        const event = await readEvent(options);
        const key = eventKey(event);
        if (!stopped && key !== lastKey) {
          lastKey = key;
          deliver(options.onEvent, event);
        }
      } while (again && !stopped);
    } finally {
      reading = false;
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => void check(), options.debounceMs);
    debounce.unref();
  };

  let watcher: FSWatcher | undefined;
  const startWatcher = (): void => {
    if (watcher || stopped) return;
    try {
      watcher = fsWatch(options.dir, { persistent: false }, (_event, filename) => {
        if (filename === null || filename === name) schedule();
      });
      // A watcher error (directory removed) leaves the poll to carry on and retry.
      watcher.on("error", () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      // The directory does not exist yet: the poll retries until it appears.
    }
  };
  startWatcher();
  const poll = setInterval(() => {
    startWatcher();
    void check();
  }, options.pollIntervalMs);
  poll.unref();
  void check();

  return () => {
    stopped = true;
    clearTimeout(debounce);
    clearInterval(poll);
    watcher?.close();
  };
}

async function readEvent(options: StateFileWatchOptions): Promise<StateEvent> {
  let raw: string;
  try {
    raw = await readFile(options.file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
    return { kind: "invalid", error: error as Error };
  }
  try {
    return { kind: "state", state: options.parse(raw) };
  } catch (error) {
    return { kind: "invalid", error: error as Error };
  }
}
