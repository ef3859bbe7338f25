import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, InvalidStateError, StoreBusyError, StoreSpecError, StoreUnavailableError, openStore, rollback, transition } from "@agent-canary/rollout-state";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stagedFiles } from "../src/file/committed.js";
import { withFileLock } from "../src/file/lock.js";
import { deploymentPaths } from "../src/file/paths.js";
import { bumpPercent, seed, warningsDuring } from "./fixtures.js";

// Edges of the file store a user meets rarely but must get right: errors that are not about
// the state's content pass through as they are, warnings carry their code, the lock options
// reach the lock, and listings come back sorted.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-canary-edges-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("a store directory removed while the store is open (a restore in progress, an unmounted volume)", () => {
  it("a write fails as unavailable, without a path or a raw ENOENT; the directory is not made again, and writes go on once it is restored", async () => {
    const stateDir = join(dir, "state");
    const store = new FileStore({ dir: stateDir });
    await seed(store, "shop");
    await cp(stateDir, join(dir, "backup"), { recursive: true });
    await rm(stateDir, { recursive: true });
    // `rollout start` again: there is no state to read, so it goes straight to the write.
    const write = await seed(store, "shop").catch((e: unknown) => e);
    expect(write).toBeInstanceOf(StoreUnavailableError);
    expect((write as Error).message).toBe("the file store's directory is gone (removed or unmounted after the store created it); restore it or create it again, nothing was written");
    expect((write as Error).cause).toMatchObject({ code: "ENOENT" });
    // Not made again: a `cp -r backup state` now lands where it should, not in state/backup.
    expect(existsSync(stateDir)).toBe(false);
    await cp(join(dir, "backup"), stateDir, { recursive: true });
    expect(await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" })).toMatchObject({ status: "changed", state: { revision: 1 } });
    expect((await readdir(stateDir)).some((name) => name === "backup")).toBe(false);
  });
});

describe("errors that are not about the state's content", () => {
  it("a store directory under a file: the read fails with ENOTDIR, not as an invalid state", async () => {
    await writeFile(join(dir, "a-file"), "x");
    const error = await new FileStore({ dir: join(dir, "a-file") }).read("shop").catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(InvalidStateError);
    expect(error).toMatchObject({ code: "ENOTDIR" });
  });

  it("an audit log that is a directory: reads fail with EISDIR rather than warn and go on", async () => {
    await seed(new FileStore({ dir }), "shop");
    await rm(join(dir, "shop.audit.jsonl"));
    await mkdir(join(dir, "shop.audit.jsonl"));
    const warnings = await warningsDuring(async () => {
      await expect(new FileStore({ dir }).read("shop")).rejects.toMatchObject({ code: "EISDIR" });
    });
    expect(warnings).toEqual([]);
  });

  it("a state with no audit log is read, and a first write made, without a warning", async () => {
    const state = await seed(new FileStore({ dir }), "shop");
    await rm(join(dir, "shop.audit.jsonl"));
    // Fresh stores: each warns of one bad line once, so one that warned before would hide it.
    const warnings = await warningsDuring(async () => {
      expect(await new FileStore({ dir }).read("shop")).toEqual(state);
      await seed(new FileStore({ dir }), "billing");
    });
    expect(warnings).toEqual([]);
  });

  it("a symlinked state file is an invalid state of the whole document (no field)", async () => {
    const store = new FileStore({ dir });
    await writeFile(join(dir, "elsewhere.json"), "{}");
    await symlink(join(dir, "elsewhere.json"), join(dir, "shop.json"));
    const error = (await store.read("shop").catch((e: unknown) => e)) as InvalidStateError;
    expect(error).toBeInstanceOf(InvalidStateError);
    expect(error.field).toBe("");
    expect(error.message).toMatch(/^invalid rollout state in shop\.json: is a symbolic link; /);
  });

  it("staged files of a directory that is not there are none", async () => {
    expect(await stagedFiles(deploymentPaths(join(dir, "not-yet"), "shop"), "shop")).toEqual([]);
    await writeFile(join(dir, "a-file"), "x");
    await expect(stagedFiles(deploymentPaths(join(dir, "a-file"), "shop"), "shop")).rejects.toMatchObject({ code: "ENOTDIR" });
  });
});

describe("what the store passes on", () => {
  it("a corrupt last audit line is warned about under the code AGENT_CANARY_STORE", async () => {
    const store = new FileStore({ dir });
    await seed(store, "shop");
    await writeFile(join(dir, "shop.audit.jsonl"), "not json\n");
    const warnings = await warningsDuring(() => store.read("shop"));
    expect(warnings.map((w) => w.code)).toEqual(["AGENT_CANARY_STORE"]);
  });

  it("its lock wait: a writer gives up with StoreBusyError after lockTimeoutMs while another holds the lock", async () => {
    const store = new FileStore({ dir, lockTimeoutMs: 200 });
    await seed(store, "shop");
    const lock = deploymentPaths(dir, "shop").lock;
    const error = await withFileLock(lock, { timeoutMs: 60_000, leaseMs: 60_000 }, () => bumpPercent(store, "shop", "blocked").catch((e: unknown) => e));
    expect(error).toBeInstanceOf(StoreBusyError);
    // The store's own lease (staleLockMs, default 5 s) judges the holder.
    expect((error as Error).message).toMatch(/within 200 ms: .* not renewed for 5000 ms\)$/);
  });

  it("a spec error is a StoreSpecError by name, as the CLI prints it", () => {
    const error = (() => {
      try {
        openStore("./state");
      } catch (e) {
        return e as Error;
      }
      throw new Error("expected a refusal");
    })();
    expect(error).toBeInstanceOf(StoreSpecError);
    expect(error.name).toBe("StoreSpecError");
  });

  it("list() comes back sorted by deployment name, not by file name", async () => {
    // Node's readdir gives names in byte order, and "shop-eu.json" < "shop.eu.json" <
    // "shop.json": the order of the deployments is another one ("shop" first).
    const names = ["shop_eu", "shop0", "shop.eu", "shop", "shop-eu"];
    for (const name of names) await writeFile(join(dir, `${name}.json`), "{}");
    expect(await new FileStore({ dir }).list()).toEqual(["shop", "shop-eu", "shop.eu", "shop0", "shop_eu"]);
  });
});
