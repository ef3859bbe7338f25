import { writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { findBinary } from "./binaries.js";
import { freePort } from "./ports.js";
import { makeTempDir, spawnServer, type ServerHandle } from "./process.js";

export interface RedisHandle extends ServerHandle {
  /** redis://127.0.0.1:PORT */
  readonly redisUrl: string;
}

/** Answers true when the server replies +PONG to an inline PING. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

export interface RedisOptions {
  /** More redis-server arguments; they override the defaults (e.g. --appendonly yes, --replicaof). */
  args?: string[];
  /** Written to redis.conf in the server's directory and passed first (sentinel mode needs a writable config file). */
  config?: string;
  /** Run as a Sentinel (redis-server --sentinel); `config` then holds its `sentinel monitor` lines. */
  sentinel?: boolean;
}

/** A throwaway redis-server on loopback, with persistence off unless `args` turn it on. */
export async function startRedis(options: RedisOptions = {}): Promise<RedisHandle> {
  const port = await freePort();
  const dir = await makeTempDir("redis");
  const configFile = join(dir, "redis.conf");
  if (options.config !== undefined || options.sentinel) await writeFile(configFile, options.config ?? "");
  const first = options.config !== undefined || options.sentinel ? [configFile, ...(options.sentinel ? ["--sentinel"] : [])] : [];
  const persistence = options.sentinel ? [] : ["--save", "", "--appendonly", "no"];
  const handle = await spawnServer({
    name: options.sentinel ? "redis-sentinel" : "redis-server",
    command: findBinary("AGENT_CANARY_REDIS_BIN", ["redis-server"]),
    args: [...first, "--port", String(port), "--bind", "127.0.0.1", ...persistence, "--dir", dir, "--protected-mode", "yes", ...(options.args ?? [])],
    port,
    dir,
    ready: () => ping(port),
  });
  return Object.assign(handle, { redisUrl: `redis://127.0.0.1:${port}` });
}
