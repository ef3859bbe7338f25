import { watch as fsWatch, statSync, type FSWatcher, type Stats } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";

/** fs.watch as the directory watcher calls it; tests pass one that drops events, as a network file system would. */
export type WatchFunction = (path: string, listener: (eventType: string, filename: string | null) => void) => FSWatcher;

export interface DirectoryWatchOptions {
  dir: string;
  /** Every event fs.watch reports inside the directory. */
  onEvent: (eventType: string, filename: string | null) => void;
  /** The directory is watched again after it was made, remade or replaced: what changed unheard must be read. */
  onRearm: () => void;
  watch?: WatchFunction;
}

export interface DirectoryWatch {
  /** For the safety-net poll: re-arms when the watched directory is no longer the one at the path. */
  verify(): Promise<void>;
  close(): void;
}

/**
 * Which directory a watch is on: file system, inode and birth time. A directory removed and
 * made again often gets the same inode number back (ext4 reuses it at once), never the same
 * birth time; a file system mounted over it has another device.
 */
const identityOf = (info: Stats | undefined): string | undefined => info && `${info.dev}:${info.ino}:${info.birthtimeMs}`;

function statNow(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

const defaultWatch: WatchFunction = (path, listener) => fsWatch(path, { persistent: false }, listener);

/**
 * Watches a directory by events through its removal and recreation. On Linux an fs.watch
 * on a directory that is removed or moved away reports one last event named after the
 * directory itself and then hears nothing, without an error; a directory restored from a
 * backup (`rm -rf dir && cp -r backup dir`) or a remounted volume would leave the watcher
 * deaf. So that last event re-arms the watch on whatever directory is at the path now, and
 * while there is none the nearest existing ancestor is watched for the path to reappear.
 * What fs.watch cannot tell (a file system mounted over the directory, dropped events) the
 * caller's poll catches through verify(), which compares the directory's identity.
 */
export function watchDirectory(options: DirectoryWatchOptions): DirectoryWatch {
  const watch = options.watch ?? defaultWatch;
  const dir = resolve(options.dir);
  const ownName = basename(dir);
  let watcher: FSWatcher | undefined;
  /** The directory being watched; undefined while an ancestor is watched instead (or nothing could be). */
  let watched: string | undefined;
  let closed = false;
  let verifying = false;

  const stop = (): void => {
    watcher?.close();
    watcher = undefined;
    watched = undefined;
  };

  /** Starts fs.watch on `path`; events of a watcher replaced since are dropped. False when it cannot start. */
  const start = (path: string, listener: (eventType: string, filename: string | null) => void): boolean => {
    let started: FSWatcher;
    try {
      started = watch(path, (eventType, filename) => {
        if (watcher === started) listener(eventType, filename);
      });
    } catch {
      return false;
    }
    // A watcher error (its directory gone on some platforms) is handled as its removal.
    started.on("error", () => {
      if (watcher === started) arm(true);
    });
    watcher = started;
    return true;
  };

  const watchDir = (): boolean => {
    // The identity before the watch: a directory swapped in between looks changed to the
    // next verify(), which re-arms (the other order could miss the swap for good).
    const identity = identityOf(statNow(dir));
    const started = start(dir, (eventType, filename) => {
      // The directory's own removal or move leaves this watch dead (an entry of the same
      // name inside it re-arms too, which costs one read).
      if (filename === ownName) arm(true);
      options.onEvent(eventType, filename);
    });
    if (!started) return false;
    watched = identity;
    return true;
  };

  /**
   * Watches the nearest existing ancestor for the next step of the path. True when that
   * step exists once the watch is on: it was made in between, an event the ancestor's
   * watch never heard, so the walk must run again.
   */
  const watchAncestor = (): boolean => {
    for (let child = dir, parent = dirname(dir); ; child = parent, parent = dirname(parent)) {
      const next = basename(child);
      const parentName = basename(parent);
      // The step appearing, or the ancestor itself going away, changes what to watch.
      if (start(parent, (_eventType, filename) => (filename === next || filename === parentName) && arm(true))) return statNow(child) !== undefined;
      if (parent === dirname(parent)) return false;
    }
  };

  /**
   * Watches the directory, else the nearest ancestor there is, walking again while the path
   * changes under the walk. A path that exists yet cannot be watched (permissions) would
   * walk forever, so after a few passes the poll takes over.
   */
  function arm(announce: boolean): void {
    for (let pass = 0; pass < 3; pass++) {
      stop();
      if (watchDir()) {
        if (announce) options.onRearm();
        return;
      }
      if (!watchAncestor()) return;
    }
  }

  arm(false);
  return {
    async verify() {
      if (closed || verifying) return;
      if (!watched) return arm(true);
      verifying = true;
      try {
        // Asynchronous: a hung file system must not block the process here; the staleness bound reports it.
        const now = identityOf(await stat(dir).catch(() => undefined));
        // close() during the stat cleared `watched`.
        if (watched && now !== watched) arm(true);
      } finally {
        verifying = false;
      }
    },
    close() {
      closed = true;
      stop();
    },
  };
}
