import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
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
});
