import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, open, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, StoreUnavailableError } from "@agent-canary/rollout-state";
import { afterEach, describe, expect, it } from "vitest";
import { bumpPercent, seed } from "./fixtures.js";

/** A small tmpfs to fill up needs root (mount) and Linux. */
const canMount = process.platform === "linux" && process.getuid?.() === 0 && spawnSync("mount", ["--version"]).status === 0;

const mounted: string[] = [];
afterEach(async () => {
  for (const dir of mounted.splice(0)) {
    execFileSync("umount", [dir]);
    await rm(dir, { recursive: true, force: true });
  }
});

/** Writes until the file system says ENOSPC; returns the filler's path. */
async function fill(dir: string): Promise<string> {
  const path = join(dir, "filler");
  const handle = await open(path, "w");
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) await handle.write(chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    await handle.close();
  }
  return path;
}

describe.skipIf(!canMount)("FileStore on a full disk", () => {
  it("fails the write, leaves no empty pending or staged file behind, says so in probe(), and writes again once there is room", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-full-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", dir]);
    mounted.push(dir);
    const store = new FileStore({ dir });
    await seed(store, "shop");
    const filler = await fill(dir);
    for (let attempt = 0; attempt < 5; attempt++) await expect(bumpPercent(store, "shop", "disk-full")).rejects.toThrow(/ENOSPC/);
    expect((await readdir(dir)).sort()).toEqual(["filler", "shop.audit.jsonl", "shop.json"]);
    await expect(store.probe(5_000)).rejects.toThrow(StoreUnavailableError);
    await expect(store.probe(5_000)).rejects.toThrow(/cannot be written \(ENOSPC\)$/);
    // A failed probe removes its probe file too.
    expect((await readdir(dir)).sort()).toEqual(["filler", "shop.audit.jsonl", "shop.json"]);
    expect((await store.read("shop"))?.revision).toBe(0);

    await rm(filler);
    expect(await bumpPercent(store, "shop", "room-again")).toBe(1);
    await store.probe(5_000);
    expect((await store.auditLog("shop")).map((e) => e.toRevision)).toEqual([0, 1]);
  });
});
