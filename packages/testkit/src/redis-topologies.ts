import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { findBinary } from "./binaries.js";
import { freePort } from "./ports.js";
import { startRedis, type RedisHandle } from "./redis.js";
import { waitFor } from "./wait.js";

const run = promisify(execFile);

function redisCli(): string {
  return findBinary("AGENT_CANARY_REDIS_CLI_BIN", ["redis-cli"]);
}

/** Runs redis-cli against a loopback port and returns its output. */
export async function redisCliCommand(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(redisCli(), ["-h", "127.0.0.1", "-p", String(port), ...args]);
  return stdout;
}

export interface RedisClusterHandle {
  nodes: RedisHandle[];
  /** redis+cluster://127.0.0.1:p1,127.0.0.1:p2,... (the store spec agent-canary reads) */
  storeSpec: string;
  stop(): Promise<void>;
}

/** A Redis Cluster of `masters` nodes (no replicas) on loopback, every slot assigned. */
export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  const nodes: RedisHandle[] = [];
  const stop = async () => {
    for (const node of nodes) await node.stop();
  };
  try {
    for (let i = 0; i < masters; i++) {
      // The cluster bus port is set explicitly: port + 10000 may be out of range or taken.
      nodes.push(await startRedis({ args: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", String(await freePort())] }));
    }
    await run(redisCli(), ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "0", "--cluster-yes"]);
    for (const node of nodes) {
      await waitFor(async () => (await redisCliCommand(node.port, "cluster", "info")).includes("cluster_state:ok"), { what: `cluster state ok on ${node.port}` });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, storeSpec: `redis+cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(",")}`, stop };
}

export interface RedisSentinelHandle {
  master: RedisHandle;
  replica: RedisHandle;
  sentinel: RedisHandle;
  /** The name the sentinel monitors. */
  name: string;
  /** redis+sentinel://127.0.0.1:<sentinel port>/<name> */
  storeSpec: string;
  /** The port the sentinel names as master now. */
  currentMasterPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A master, one replica and one Sentinel (quorum 1) on loopback, tuned to fail over within
 * a few seconds of the master dying. `serverArgs` apply to master and replica (persistence).
 */
export async function startRedisSentinel(serverArgs: string[] = []): Promise<RedisSentinelHandle> {
  const name = "agent-canary";
  const started: RedisHandle[] = [];
  const stop = async () => {
    for (const server of started.reverse()) await server.stop();
  };
  try {
    const master = await startRedis({ args: serverArgs });
    started.push(master);
    const replica = await startRedis({ args: [...serverArgs, "--replicaof", "127.0.0.1", String(master.port)] });
    started.push(replica);
    await waitFor(async () => (await redisCliCommand(replica.port, "info", "replication")).includes("master_link_status:up"), { what: "replica in sync" });
    const sentinel = await startRedis({
      sentinel: true,
      config: [
        `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
        "",
      ].join("\n"),
    });
    started.push(sentinel);
    const currentMasterPort = async () => Number((await redisCliCommand(sentinel.port, "sentinel", "get-master-addr-by-name", name)).split("\n")[1]);
    await waitFor(async () => (await currentMasterPort()) === master.port, { what: "sentinel sees the master" });
    return { master, replica, sentinel, name, storeSpec: `redis+sentinel://127.0.0.1:${sentinel.port}/${name}`, currentMasterPort, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
