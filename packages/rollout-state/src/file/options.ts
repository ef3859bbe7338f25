import { firstIssue } from "@agent-canary/conventions";
import { z } from "zod";

/** setTimeout and setInterval take at most 2^31-1 ms; a longer delay fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const FIX = "a whole number of milliseconds";
const DIR_FIX = "must be the directory path holding the state files";

/** A schema's own `error` also words the issues of its checks that bring none (zod 4). */
function milliseconds(min: number) {
  return z
    .number({ error: `must be ${FIX}` })
    .int()
    .min(min, { error: `must be ${FIX}, at least ${min}` })
    .max(MAX_TIMER_MS, { error: `must be ${FIX}, at most ${MAX_TIMER_MS} (the longest timer Node can set)` });
}

/** The FileStore's options, with their defaults (the README's table lists them). */
export const FileStoreOptionsSchema = z.object(
  {
    /** The directory holding `<deployment>.json` and `<deployment>.audit.jsonl`. Created on first write. */
    dir: z.string({ error: DIR_FIX }).min(1),
    /** How long a writer waits for another writer's lock. Default 10 s. */
    lockTimeoutMs: milliseconds(1).default(10_000),
    /**
     * The lock lease: a lock its holder has not renewed for this long is broken. Holders
     * renew every fifth of it. Default 5 s, so a writer killed holding the lock blocks
     * others for at most that long (less when it ran in our PID namespace: then its death
     * is certain at once).
     */
    staleLockMs: milliseconds(1).default(5_000),
    /** Safety-net poll interval for watch(), in case fs.watch misses an event. Default 2 s. */
    pollIntervalMs: milliseconds(1).default(2_000),
    /** fs.watch events are coalesced for this long before re-reading. Default 20 ms. */
    debounceMs: milliseconds(0).default(20),
    /** A watcher that has not read the state for this long is told `unavailable` (a hung file system). Default 15 s. */
    staleAfterMs: milliseconds(1).default(15_000),
  },
  { error: 'must be an object such as { dir: "./rollout-state" }' },
);

export type FileStoreOptions = z.input<typeof FileStoreOptionsSchema>;
export type ResolvedFileStoreOptions = z.output<typeof FileStoreOptionsSchema>;

/** The options with defaults filled in, or a TypeError naming the first bad option and what it must be. */
export function resolveFileStoreOptions(options: FileStoreOptions): ResolvedFileStoreOptions {
  const result = FileStoreOptionsSchema.safeParse(options);
  if (result.success) return result.data;
  const { field, message } = firstIssue(result.error);
  throw new TypeError(`FileStore ${field ? `option ${field}` : "options"} ${message}`);
}
