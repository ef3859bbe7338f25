import { connect } from "node:net";
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

/** A throwaway redis-server on loopback, with persistence off. */
export async function startRedis(): Promise<RedisHandle> {
  const port = await freePort();
  const dir = await makeTempDir("redis");
  const handle = await spawnServer({
    name: "redis-server",
    command: findBinary("AGENT_CANARY_REDIS_BIN", ["redis-server"]),
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "yes"],
    port,
    dir,
    ready: () => ping(port),
  });
  return Object.assign(handle, { redisUrl: `redis://127.0.0.1:${port}` });
}
