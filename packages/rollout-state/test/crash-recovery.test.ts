import { appendFile, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, type AuditEntry, type RolloutState } from "@agent-canary/rollout-state";
import { beforeEach, describe, expect, it } from "vitest";
import { bumpPercent, seed } from "./fixtures.js";

/**
 * The on-disk leftovers of a writer killed at each point of a write, built by hand
 * (random SIGKILLs rarely land in these microsecond windows), and what the next writer makes of them.
 */
let dir: string;
let store: FileStore;
let seeded: RolloutState;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-canary-recovery-"));
  store = new FileStore({ dir });
  seeded = await seed(store, "shop");
});

function nextOf(state: RolloutState, percent: number): { next: RolloutState; audit: AuditEntry } {
  const next = { ...state, revision: state.revision + 1, canaryPercent: percent };
  const audit: AuditEntry = { at: next.updatedAt, by: "killed-writer", action: "set", toPhase: next.phase, toPercent: percent, reason: "crash", deployment: "shop", fromRevision: state.revision, toRevision: next.revision };
  return { next, audit };
}

describe("FileStore recovery after a crash", () => {
  it("rolls forward a write killed after its audit commit but before the rename", async () => {
    const { next, audit } = nextOf(seeded, 33);
    await writeFile(join(dir, "shop.json.1.tmp"), JSON.stringify(next));
    await appendFile(join(dir, "shop.audit.jsonl"), `${JSON.stringify(audit)}\n`);
    expect((await store.read("shop"))?.revision).toBe(0);

    expect(await bumpPercent(store, "shop", "next-writer")).toBe(2);
    const log = await store.auditLog("shop");
    expect(log.map((e) => [e.by, e.toRevision])).toEqual([["test", 0], ["killed-writer", 1], ["next-writer", 2]]);
    // The next writer built on the rolled-forward state (33%), not on the stale one.
    expect((await store.read("shop"))?.canaryPercent).toBe(34);
    expect(await readdir(dir)).not.toContain("shop.json.1.tmp");
  });

  it("discards a staged state whose audit entry was never written (not acknowledged)", async () => {
    const { next } = nextOf(seeded, 33);
    await writeFile(join(dir, "shop.json.1.tmp"), JSON.stringify(next));
    expect(await bumpPercent(store, "shop", "next-writer")).toBe(1);
    expect((await store.read("shop"))?.canaryPercent).toBe(seeded.canaryPercent + 1);
    expect((await store.auditLog("shop")).map((e) => e.by)).toEqual(["test", "next-writer"]);
  });

  it("cuts off a torn audit line before appending, and readers ignore it meanwhile", async () => {
    await appendFile(join(dir, "shop.audit.jsonl"), '{"at":"2026-01-01T00:00:00.000Z","by":"tor');
    expect(await store.auditLog("shop")).toHaveLength(1);
    await bumpPercent(store, "shop", "next-writer");
    const raw = await readFile(join(dir, "shop.audit.jsonl"), "utf8");
    expect(raw.split("\n").filter(Boolean).map((line) => (JSON.parse(line) as AuditEntry).by)).toEqual(["test", "next-writer"]);
  });
});
