import { connect } from "node:net";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { errorKind } from "../src/redis/error-kind.js";
import { closedPort, useRedisServer } from "./redis-server.js";

// The kind a StoreUnavailableError names is all an operator sees of a Redis failure (the
// address stays out of messages). Each case is an error that ioredis, Redis or the socket
// really produced, caught from a real server or a real closed port.

const server = useRedisServer();

async function rejection(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

describe("errorKind on Redis's refusals (ReplyError)", () => {
  it("names the error code Redis put first: ERR, WRONGTYPE, NOSCRIPT, OOM", async () => {
    const { admin } = server;
    expect(errorKind(await rejection(admin.call("NO-SUCH-COMMAND")))).toBe("ERR");
    await admin.set("kind:string", "x");
    expect(errorKind(await rejection(admin.hget("kind:string", "f")))).toBe("WRONGTYPE");
    expect(errorKind(await rejection(admin.evalsha("0".repeat(40), 0)))).toBe("NOSCRIPT");
    await admin.config("SET", "maxmemory", "1");
    try {
      expect(errorKind(await rejection(admin.set("kind:oom", "x")))).toBe("OOM");
    } finally {
      await admin.config("SET", "maxmemory", "0");
    }
  });

  it("is `error` for a reply without a code, even one with a capitalised word in it", async () => {
    // A script's own error text: neither its first capital ("O") nor a later word ("NO") is a code.
    const error = await rejection(server.admin.eval('return redis.error_reply("Oops, NO such thing")', 0));
    expect(error).toMatchObject({ name: "ReplyError", message: "Oops, NO such thing" });
    expect(errorKind(error)).toBe("error");
    expect(errorKind(await rejection(server.admin.eval('return redis.error_reply("lower case")', 0)))).toBe("error");
  });
});

describe("errorKind on ioredis's own failures", () => {
  it("`timed out` for a command past commandTimeout (a hung Redis)", async () => {
    const client = new Redis(server.redis.redisUrl, { commandTimeout: 200 });
    try {
      await client.ping();
      server.redis.process.kill("SIGSTOP");
      try {
        expect(errorKind(await rejection(client.get("kind:hung")))).toBe("timed out");
      } finally {
        server.redis.process.kill("SIGCONT");
      }
    } finally {
      client.disconnect();
    }
  });

  it("`connection closed` for a command on a closed client", async () => {
    const client = new Redis(server.redis.redisUrl);
    await client.ping();
    client.disconnect();
    const error = await rejection(client.get("kind:closed"));
    expect(error).toMatchObject({ message: "Connection is closed." });
    expect(errorKind(error)).toBe("connection closed");
  });

  it("MaxRetriesPerRequestError when no connection comes within the retry", async () => {
    const client = new Redis(`redis://127.0.0.1:${await closedPort()}`, { maxRetriesPerRequest: 1, retryStrategy: () => 10 });
    client.on("error", () => undefined);
    try {
      expect(errorKind(await rejection(client.get("kind:nowhere")))).toBe("MaxRetriesPerRequestError");
    } finally {
      client.disconnect();
    }
  });
});

describe("errorKind on other errors", () => {
  it("names a socket error by its code", async () => {
    const socket = connect(await closedPort(), "127.0.0.1");
    const error = await new Promise<Error>((resolve) => socket.once("error", resolve));
    expect(errorKind(error)).toBe("ECONNREFUSED");
  });

  it("is `error` for a plain Error and for a value that is not an Error; a named one keeps its name", () => {
    expect(errorKind(new Error("something"))).toBe("error");
    expect(errorKind("a thrown string")).toBe("error");
    expect(errorKind(undefined)).toBe("error");
    expect(errorKind(new RangeError("out of range"))).toBe("RangeError");
  });
});
