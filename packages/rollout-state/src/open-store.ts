import { resolve } from "node:path";
import { FileStore } from "./file/file-store.js";
import { RedisStore } from "./redis/redis-store.js";
import type { RolloutStore } from "./store.js";

/** A store given as text on a command line or in a config file. */
export class StoreSpecError extends Error {
  override readonly name = "StoreSpecError";
}

/**
 * Opens the store a spec names: `file:<dir>` (the embedded default) or
 * `redis://[user:pass@]host:port[/db]` / `rediss://...` (for many replicas).
 */
export function openStore(spec: string, options: { redisPrefix?: string } = {}): RolloutStore {
  if (spec.startsWith("file:")) {
    const dir = spec.slice("file:".length);
    if (!dir) throw new StoreSpecError('store "file:" has no directory; use file:<dir>, e.g. file:./rollout-state');
    return new FileStore({ dir: resolve(dir) });
  }
  if (spec.startsWith("redis://") || spec.startsWith("rediss://")) {
    try {
      new URL(spec);
    } catch {
      throw new StoreSpecError(`store "${spec}" is not a valid Redis URL; use redis://host:6379`);
    }
    return new RedisStore({ url: spec, ...(options.redisPrefix ? { prefix: options.redisPrefix } : {}) });
  }
  throw new StoreSpecError(`store "${spec}" is neither file:<dir> nor redis://host:port; e.g. file:./rollout-state or redis://127.0.0.1:6379`);
}
