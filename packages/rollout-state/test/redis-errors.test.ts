import { RedisStore, StoreUnavailableError, rollback, transition, type StateEvent } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { describe, expect, it } from "vitest";
import { useRedisServer } from "./redis-server.js";
import { duplicateAlertEntry, seed } from "./fixtures.js";

// What a caller is told when Redis refuses or does not answer: StoreUnavailableError
// naming what failed and the kind of failure (never the address), within a bound.

let n = 0;

const server = useRedisServer();

async function failure(work: Promise<unknown>): Promise<Error> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreUnavailableError);
  return error as Error;
}

describe("Redis refusing a command", () => {
  it("out of memory: the write fails naming OOM, the state is unchanged, and writes go on once memory is back", async () => {
    const store = new RedisStore({ url: server.redis.redisUrl, prefix: `oom${++n}:` });
    try {
      await seed(store, "shop");
      await server.admin.config("SET", "maxmemory", "1");
      try {
        const error = await failure(transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" }));
        expect(error.message).toBe("redis could not write the state (OOM)");
        expect(error).toMatchObject({ code: "OOM" });
        // The message names no address; the cause keeps Redis's own reply for the logs.
        expect(error.cause).toMatchObject({ name: "ReplyError", message: expect.stringMatching(/^OOM command not allowed/) });
        expect((await failure(store.probe(5_000))).message).toBe("redis could not write a probe key (OOM)");
        const current = await store.read("shop");
        if (!current) throw new Error("no state");
        expect((await failure(store.record("shop", duplicateAlertEntry(current)))).message).toBe("redis could not record an audit entry (OOM)");
      } finally {
        await server.admin.config("SET", "maxmemory", "0");
      }
      expect(await store.read("shop")).toMatchObject({ revision: 0 });
      await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" });
    } finally {
      await store.close();
    }
  });

  it("a key of the wrong type: names WRONGTYPE", async () => {
    const prefix = `type${++n}:`;
    const store = new RedisStore({ url: server.redis.redisUrl, prefix });
    try {
      await server.admin.set(`${prefix}{shop}:state`, "a string, not a hash");
      expect((await failure(store.read("shop"))).message).toBe("redis could not read the state (WRONGTYPE)");
    } finally {
      await store.close();
    }
  });
});

describe("a hung Redis", () => {
  it("fails a write after commandTimeoutMs as `timed out`, and tells watchers `unavailable` after the default staleness bound", async () => {
    const prefix = `hang${++n}:`;
    const writer = new RedisStore({ url: server.redis.redisUrl, prefix, commandTimeoutMs: 500 });
    // Defaults: staleAfterMs = max(5 s, 3 × pollIntervalMs).
    const routerDefault = new RedisStore({ url: server.redis.redisUrl, prefix });
    const routerSlowPoll = new RedisStore({ url: server.redis.redisUrl, prefix, pollIntervalMs: 2_000 });
    try {
      await seed(writer, "shop");
      const events: StateEvent[][] = [[], []];
      const stops = [routerDefault.watch("shop", (e) => events[0]?.push(e)), routerSlowPoll.watch("shop", (e) => events[1]?.push(e))];
      await waitFor(() => events.every((list) => list[0]?.kind === "state"), { what: "both routers' first state" });
      server.redis.process.kill("SIGSTOP");
      try {
        const error = await failure(transition(writer, "shop", rollback("shop"), { by: "receiver", reason: "gate" }));
        expect(error.message).toBe("redis could not read the state (timed out)");
        // The probe's own bound, shorter than the command timeout: what a readiness check sees.
        expect((await failure(writer.probe(100))).message).toBe("redis did not answer within 100 ms");
        const unavailable = await waitFor(() => (events.every((list) => list.at(-1)?.kind === "unavailable") ? events.map((list) => list.at(-1)) : undefined), {
          what: "both routers told unavailable",
        });
        expect(unavailable).toEqual([
          { kind: "unavailable", error: expect.objectContaining({ message: expect.stringMatching(/^redis has not confirmed the rollout state for \d+ s \(bound: 5 s\)$/) }) },
          { kind: "unavailable", error: expect.objectContaining({ message: expect.stringMatching(/^redis has not confirmed the rollout state for \d+ s \(bound: 6 s\)$/) }) },
        ]);
      } finally {
        server.redis.process.kill("SIGCONT");
      }
      await waitFor(() => events.every((list) => list.at(-1)?.kind === "state"), { what: "both routers' state after Redis resumed" });
      for (const stop of stops) stop();
    } finally {
      await writer.close();
      await routerDefault.close();
      await routerSlowPoll.close();
    }
  });
});
