import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { FileStore } from "@agent-canary/rollout-state";
import { describe, expect, it } from "vitest";
import { seed } from "./fixtures.js";

const WRITER = join(import.meta.dirname, "fixtures", "crash-writer.mjs");
const run = promisify(execFile);

describe("FileStore across processes", () => {
  it("loses no update when six processes write two deployments at once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-multiproc-"));
    const store = new FileStore({ dir });
    await seed(store, "shop");
    await seed(store, "billing");
    const perProcess = 25;
    const outputs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => run(process.execPath, [WRITER, dir, i % 2 ? "shop" : "billing", String(perProcess)])),
    );
    const acks = outputs.flatMap(({ stdout }) => stdout.split("\n").filter((line) => line.startsWith("ack ")));
    expect(acks).toHaveLength(6 * perProcess);
    for (const deployment of ["shop", "billing"]) {
      expect((await store.read(deployment))?.revision).toBe(3 * perProcess);
      const log = await store.auditLog(deployment);
      expect(log.map((e) => e.toRevision)).toEqual(Array.from({ length: 3 * perProcess + 1 }, (_, i) => i));
      expect(new Set(log.slice(1).map((e) => e.by)).size).toBe(3);
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("loses no update when six processes race to break the same dead writer's lock", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-multiproc-"));
    const store = new FileStore({ dir });
    await seed(store, "shop");
    // pid 2^22+1 is above Linux's pid_max default range, so no live process has it.
    await writeFile(join(dir, "shop.lock"), `${2 ** 22 + 1} 0123456789abcdef\n`);
    const perProcess = 10;
    const outputs = await Promise.all(Array.from({ length: 6 }, () => run(process.execPath, [WRITER, dir, "shop", String(perProcess)])));
    expect(outputs.flatMap(({ stdout }) => stdout.split("\n").filter((line) => line.startsWith("ack ")))).toHaveLength(6 * perProcess);
    expect((await store.read("shop"))?.revision).toBe(6 * perProcess);
    expect((await store.auditLog("shop")).map((e) => e.toRevision)).toEqual(Array.from({ length: 6 * perProcess + 1 }, (_, i) => i));
    // Breakers and writers leave no claim or pending file behind.
    expect((await readdir(dir)).sort()).toEqual(["shop.audit.jsonl", "shop.json"]);
    await rm(dir, { recursive: true, force: true });
  });
});
