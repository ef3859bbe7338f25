import { readlinkSync } from "node:fs";
import { appendFile, mkdtemp, open, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { FileStore, type AuditEntry, type RolloutState } from "@agent-canary/rollout-state";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { seed } from "./fixtures.js";

// A reader racing the writer's last step: the reader has seen the commit entry, and the
// writer renames the staged state into place before the reader looks for it. The rename is
// made to land exactly there by running it when the reader opens the audit log's last line
// (its FileHandle.stat), after it read the state file.

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-canary-race-"));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `hook` once, just before the first FileHandle.stat of a file named `name`. */
async function beforeFirstStat(name: string, hook: () => Promise<void>): Promise<void> {
  const probe = await open(dir, "r");
  const prototype = Object.getPrototypeOf(probe) as { stat: () => Promise<unknown> };
  await probe.close();
  const stat = prototype.stat;
  let done = false;
  vi.spyOn(prototype, "stat").mockImplementation(function (this: { fd: number }) {
    if (done || basename(readlinkSync(`/proc/self/fd/${this.fd}`)) !== name) return stat.call(this);
    done = true;
    return hook().then(() => stat.call(this));
  });
}

describe("a read racing the rename that finishes a write", () => {
  it("reads again and returns the renamed state, not the one before it", async () => {
    const store = new FileStore({ dir });
    const seeded = await seed(store, "shop");
    const at = new Date(Date.parse(seeded.updatedAt) + 1000).toISOString();
    const lastTransition = { at, by: "writer", action: "set" as const, fromPhase: seeded.phase, fromPercent: seeded.canaryPercent, toPhase: seeded.phase, toPercent: 21, reason: "r" };
    const next: RolloutState = { ...seeded, revision: 1, canaryPercent: 21, updatedAt: at, lastTransition };
    const audit: AuditEntry = { ...lastTransition, deployment: "shop", fromRevision: 0, toRevision: 1 };
    const staged = join(dir, "shop.json.1.0123456789abcdef.tmp");
    await writeFile(staged, JSON.stringify(next));
    await appendFile(join(dir, "shop.audit.jsonl"), `${JSON.stringify(audit)}\n`);
    // The reader has read the state (revision 0) and the commit entry (to 1); the staged
    // file is renamed before it looks for it.
    await beforeFirstStat("shop.audit.jsonl", () => rename(staged, join(dir, "shop.json")));
    expect(await store.read("shop")).toEqual(next);
  });
});
