import { resolve } from "node:path";
import { FileStore } from "./file/file-store.js";
import { RedisSpecError } from "./redis/connection.js";
import { RedisStore, type RedisStoreOptions } from "./redis/redis-store.js";
import type { RolloutStore } from "./store.js";

/** A store given as text on a command line or in a config file. */
export class StoreSpecError extends Error {
  override readonly name = "StoreSpecError";
}

const REDIS_SCHEMES = ["redis://", "rediss://", "redis+sentinel://", "rediss+sentinel://", "redis+cluster://", "rediss+cluster://"];

export type OpenStoreOptions = { redisPrefix?: string } & Omit<RedisStoreOptions, "url" | "prefix">;

/**
 * Opens the store a spec names: `file:<dir>` (the embedded default), or Redis for many
 * replicas: `redis://[user:pass@]host:port[/db]`, `rediss://...`,
 * `redis+sentinel://s1:26379,s2:26379/<master>`, `redis+cluster://n1:7000,n2:7001`.
 * Opening a Redis store does not load ioredis until the store is first used.
 */
export function openStore(spec: string, options: OpenStoreOptions = {}): RolloutStore {
  if (spec.startsWith("file:")) {
    const dir = spec.slice("file:".length);
    if (!dir) throw new StoreSpecError('store "file:" has no directory; use file:<dir>, e.g. file:./rollout-state');
    return new FileStore({ dir: resolve(dir) });
  }
  if (REDIS_SCHEMES.some((scheme) => spec.startsWith(scheme))) {
    const { redisPrefix, ...redis } = options;
    try {
      return new RedisStore({ url: spec, ...redis, ...(redisPrefix ? { prefix: redisPrefix } : {}) });
    } catch (error) {
      if (error instanceof RedisSpecError) throw new StoreSpecError(error.message);
      throw error;
    }
  }
  throw new StoreSpecError(
    `store "${spec}" is neither file:<dir> nor redis://host:port (or redis+sentinel://s1:26379/<master>, redis+cluster://n1:7000,n2:7001); e.g. file:./rollout-state or redis://127.0.0.1:6379`,
  );
}
