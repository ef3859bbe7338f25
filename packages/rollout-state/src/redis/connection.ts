import type { Cluster, ClusterOptions, Redis, RedisOptions } from "ioredis";

/** A Redis deployment as a store spec names it. */
export type RedisTarget =
  | { mode: "standalone"; url: string }
  | { mode: "sentinel"; sentinels: HostPort[]; name: string; auth: Auth; db: number; tls: boolean }
  | { mode: "cluster"; nodes: HostPort[]; auth: Auth; tls: boolean };

export interface HostPort {
  host: string;
  port: number;
}
interface Auth {
  username?: string;
  password?: string;
}

export type RedisClient = Redis | Cluster;

/**
 * A second connection like `client`, for pub/sub. It retries forever: a subscriber must come
 * back however long Redis was away.
 */
export function duplicateForSubscribing(client: RedisClient): RedisClient {
  return client.isCluster ? (client as Cluster).duplicate() : (client as Redis).duplicate({ maxRetriesPerRequest: null });
}

/** A Redis store spec that cannot be used; the message says what to write instead. */
export class RedisSpecError extends Error {
  override readonly name = "RedisSpecError";
}

const EXAMPLES =
  "redis://host:6379[/db], rediss://host:6380, redis+sentinel://s1:26379,s2:26379/mymaster, redis+cluster://n1:7000,n2:7001";

/** `list` is never empty (the spec's pattern asks for one character), and an empty entry is refused. */
function hostPorts(spec: string, list: string, defaultPort: number): HostPort[] {
  return list.split(",").map((entry) => {
    // A colon belongs to the port unless the host is a bracketed IPv6 address: "s1:abc" is
    // refused here rather than taken for a host named "s1:abc" that fails only at connect.
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(entry.trim());
    const host = match?.[1] ?? match?.[2];
    const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
    if (!host || port < 1 || port > 65535) throw new RedisSpecError(`store "${spec}": "${entry}" is not host:port; e.g. ${EXAMPLES}`);
    return { host, port };
  });
}

/** Splits `scheme://[user[:pass]@]hosts[/path]`; the WHATWG URL parser refuses comma-separated hosts. */
function splitMultiHost(spec: string): { scheme: string; auth: Auth; hosts: string; path: string } {
  const match = /^([a-z+]+):\/\/(?:([^@/]*)@)?([^/?#]+)(\/[^?#]*)?$/.exec(spec);
  if (!match?.[1] || !match[3]) throw new RedisSpecError(`store "${spec}" is not a Redis URL; e.g. ${EXAMPLES}`);
  const [user, ...pass] = (match[2] ?? "").split(":");
  const auth: Auth = {
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(pass.length ? { password: decodeURIComponent(pass.join(":")) } : {}),
  };
  return { scheme: match[1], auth, hosts: match[3], path: match[4] ?? "" };
}

/** Parses a store spec into what ioredis needs. */
export function parseRedisTarget(spec: string): RedisTarget {
  if (spec.startsWith("redis://") || spec.startsWith("rediss://")) {
    try {
      new URL(spec);
    } catch {
      throw new RedisSpecError(`store "${spec}" is not a valid Redis URL; e.g. ${EXAMPLES}`);
    }
    return { mode: "standalone", url: spec };
  }
  const { scheme, auth, hosts, path } = splitMultiHost(spec);
  if (scheme === "redis+sentinel" || scheme === "rediss+sentinel") {
    const [name, db] = path.split("/").filter(Boolean);
    if (!name) throw new RedisSpecError(`store "${spec}" names no master: add /<master name>, e.g. redis+sentinel://s1:26379,s2:26379/mymaster`);
    return { mode: "sentinel", sentinels: hostPorts(spec, hosts, 26379), name, auth, db: db === undefined ? 0 : Number(db), tls: scheme.startsWith("rediss") };
  }
  if (scheme === "redis+cluster" || scheme === "rediss+cluster") {
    return { mode: "cluster", nodes: hostPorts(spec, hosts, 6379), auth, tls: scheme.startsWith("rediss") };
  }
  throw new RedisSpecError(`store "${spec}" has an unknown scheme "${scheme}"; e.g. ${EXAMPLES}`);
}

/**
 * ioredis is imported on first use, so file-store users and the rule generator never load
 * it (it is an optional peer dependency of this package).
 */
async function loadIoredis(): Promise<{ Redis: typeof Redis; Cluster: typeof Cluster }> {
  try {
    const ioredis = await import("ioredis");
    return { Redis: ioredis.Redis, Cluster: ioredis.Cluster };
  } catch (error) {
    throw new RedisSpecError(`the Redis store needs the ioredis package: install it next to @agent-canary/rollout-state (npm install ioredis). ${(error as Error).message}`);
  }
}

/** Opens a client for the target; `options` apply to every connection (timeouts, retries). */
export async function connectRedis(target: RedisTarget, options: RedisOptions): Promise<RedisClient> {
  const { Redis, Cluster } = await loadIoredis();
  switch (target.mode) {
    case "standalone":
      return new Redis(target.url, options);
    case "sentinel":
      return new Redis({
        ...options,
        sentinels: target.sentinels,
        name: target.name,
        db: target.db,
        ...target.auth,
        // The same credentials for the sentinels, as most deployments use.
        ...(target.auth.password ? { sentinelPassword: target.auth.password } : {}),
        ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
      });
    case "cluster": {
      const clusterOptions: ClusterOptions = { redisOptions: { ...options, ...target.auth, ...(target.tls ? { tls: {} } : {}) }, slotsRefreshTimeout: options.connectTimeout ?? 5_000 };
      return new Cluster(target.nodes, clusterOptions);
    }
  }
}
