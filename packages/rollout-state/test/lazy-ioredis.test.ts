import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const DIST = join(import.meta.dirname, "..", "dist", "index.js");

/**
 * Runs `body` in a fresh Node with a resolve hook that refuses `ioredis`, as if it were not
 * installed (it is an optional peer dependency). Spawns dist/: build first.
 */
async function withoutIoredis(body: string): Promise<string> {
  const script = `
import { registerHooks } from "node:module";
registerHooks({ resolve(specifier, context, next) { if (specifier === "ioredis") throw new Error("ioredis is not installed"); return next(specifier, context); } });
const m = await import(${JSON.stringify(DIST)});
${body}`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script]);
  return stdout.trim();
}

describe("ioredis loads only for the Redis store", () => {
  it("runs the file store and opens a Redis store without ioredis; the first Redis call says what to install", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-lazy-"));
    const out = await withoutIoredis(`
const file = m.openStore("file:${dir}");
console.log("file list", JSON.stringify(await file.list()));
const redis = m.openStore("redis://127.0.0.1:1");
const error = await redis.read("shop").catch((e) => e);
console.log("redis read:", error.message);
await redis.close();`);
    expect(out).toMatch(/^file list \[\]$/m);
    expect(out).toMatch(/redis read: the Redis store needs the ioredis package: install it next to @agent-canary\/rollout-state \(npm install ioredis\)/);
  });
});
