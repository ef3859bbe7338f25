import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { FileStore } from "@agent-canary/rollout-state";
import { describe, expect, it } from "vitest";
import { waitFor } from "@agent-canary/testkit";
import { DEAD_PID, bumpPercent, ownerLock, seed } from "./fixtures.js";

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
    await writeFile(join(dir, "shop.lock"), ownerLock(DEAD_PID, { start: "7" }));
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

describe("FileStore lock file seen from another process", () => {
  it("never shows another process an empty or partial lock file while it writes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-multiproc-"));
    const store = new FileStore({ dir });
    await seed(store, "shop");
    const writer = spawn(process.execPath, [WRITER, dir, "shop", "400"], { stdio: ["ignore", "ignore", "inherit"] });
    const done = new Promise<number | null>((resolve) => writer.once("exit", resolve));
    let finished = false;
    void done.then(() => (finished = true));
    const seen = new Set<string>();
    let reads = 0;
    while (!finished) {
      const content = await readFile(join(dir, "shop.lock"), "utf8").catch(() => undefined);
      if (content !== undefined) {
        reads++;
        if (!/^\{"v":2,"token":"[0-9a-f]+",.*\}\n$/.test(content)) seen.add(JSON.stringify(content));
      }
    }
    expect(await done).toBe(0);
    expect([...seen]).toEqual([]);
    // The check above has to have looked at the lock many times to mean anything.
    expect(reads).toBeGreaterThan(50);
    expect((await store.read("shop"))?.revision).toBe(400);
    await rm(dir, { recursive: true, force: true });
  });
});

/** Writers in their own PID namespaces need root (unshare --pid) and Linux. */
const canUnshare = process.platform === "linux" && process.getuid?.() === 0 && spawnSync("unshare", ["--pid", "--fork", "--mount-proc", "true"]).status === 0;

/** The writer as PID 1 of a new PID namespace, as in a container; SIGKILL to the returned process kills it. */
function namespacedWriter(dir: string, deployment: string, count?: number) {
  return spawn("unshare", ["--pid", "--fork", "--mount-proc", "--kill-child", process.execPath, WRITER, dir, deployment, ...(count === undefined ? [] : [String(count)])], { stdio: ["ignore", "pipe", "pipe"] });
}

function acksOf(child: ReturnType<typeof spawn>): { acks: number[]; exited: Promise<{ code: number | null; stderr: string }> } {
  const acks: number[] = [];
  let stderr = "";
  let buffered = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      const match = /^ack (\d+)$/.exec(line);
      if (match) acks.push(Number(match[1]));
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return { acks, exited: new Promise((resolve) => child.once("exit", (code) => resolve({ code, stderr }))) };
}

describe.skipIf(!canUnshare)("FileStore across PID namespaces (containers)", () => {
  it("loses no update when writers in three PID namespaces and three on the host write one deployment", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-pidns-"));
    const store = new FileStore({ dir });
    await seed(store, "shop");
    const perProcess = 20;
    const children = [
      ...Array.from({ length: 3 }, () => namespacedWriter(dir, "shop", perProcess)),
      ...Array.from({ length: 3 }, () => spawn(process.execPath, [WRITER, dir, "shop", String(perProcess)], { stdio: ["ignore", "pipe", "pipe"] })),
    ].map(acksOf);
    const results = await Promise.all(children.map((c) => c.exited));
    expect(results.map((r) => r.code), results.map((r) => r.stderr).join("\n")).toEqual(Array(6).fill(0));
    expect(children.flatMap((c) => c.acks)).toHaveLength(6 * perProcess);
    expect((await store.read("shop"))?.revision).toBe(6 * perProcess);
    expect((await store.auditLog("shop")).map((e) => e.toRevision)).toEqual(Array.from({ length: 6 * perProcess + 1 }, (_, i) => i));
    await rm(dir, { recursive: true, force: true });
  });

  it("a writer running as PID 1, SIGKILLed holding the lock and restarted as PID 1 again, loses nothing and writes again", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-pid1-"));
    const store = new FileStore({ dir });
    await seed(store, "shop");
    let acknowledged = 0;
    let leftLock = 0;
    for (let round = 0; round < 30 && leftLock < 2; round++) {
      const child = namespacedWriter(dir, "shop");
      const writer = acksOf(child);
      await waitFor(() => writer.acks.length >= 2, { what: `round ${round}: the PID-1 writer acknowledges writes` });
      child.kill("SIGKILL");
      await writer.exited;
      acknowledged = Math.max(acknowledged, ...writer.acks);
      if (existsSync(join(dir, "shop.lock"))) leftLock++;
      const state = await store.read("shop");
      expect(state?.revision, `round ${round}`).toBeGreaterThanOrEqual(acknowledged);
    }
    // Some kills landed inside a write (the lock was left behind), and each time the next PID 1 went on.
    expect(leftLock).toBeGreaterThanOrEqual(1);
    const finalRevision = await bumpPercent(store, "shop", "after-restarts");
    expect((await store.auditLog("shop")).map((e) => e.toRevision)).toEqual(Array.from({ length: finalRevision + 1 }, (_, i) => i));
    await rm(dir, { recursive: true, force: true });
  });
});
