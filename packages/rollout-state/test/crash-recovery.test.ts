import { appendFile, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, InvalidStateError, MAX_REVISION, rollback, transition, type AuditEntry, type RolloutState, type StateEvent } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { beforeEach, describe, expect, it } from "vitest";
import { bumpPercent, seed, warningsDuring } from "./fixtures.js";

/**
 * The on-disk leftovers of a writer killed at each point of a write, built by hand
 * (random SIGKILLs rarely land in these microsecond windows), and what readers and the
 * next writer make of them.
 */
let dir: string;
let store: FileStore;
let seeded: RolloutState;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-canary-recovery-"));
  store = new FileStore({ dir });
  seeded = await seed(store, "shop");
});

/** The next state and its audit entry, as transition() builds them (the state's lastTransition is the entry). */
function nextOf(state: RolloutState, percent: number, by = "killed-writer"): { next: RolloutState; audit: AuditEntry } {
  const at = new Date(Date.parse(state.updatedAt) + 1000).toISOString();
  const lastTransition = { at, by, action: "set" as const, fromPhase: state.phase, fromPercent: state.canaryPercent, toPhase: state.phase, toPercent: percent, reason: "crash" };
  const next = { ...state, revision: state.revision + 1, canaryPercent: percent, updatedAt: at, lastTransition };
  return { next, audit: { ...lastTransition, deployment: "shop", fromRevision: state.revision, toRevision: next.revision } };
}

const stagedName = (revision: number, token = "0123456789abcdef") => `shop.json.${revision}.${token}.tmp`;

describe("FileStore recovery after a crash", () => {
  it("shows readers the committed state at once and rolls it forward on the next write, after a kill between the audit commit and the rename", async () => {
    const { next, audit } = nextOf(seeded, 33);
    await writeFile(join(dir, stagedName(1)), JSON.stringify(next));
    await appendFile(join(dir, "shop.audit.jsonl"), `${JSON.stringify(audit)}\n`);
    // The audit append is the commit point: readers see revision 1, never the state behind the audit.
    expect(await store.read("shop")).toEqual(next);
    const events: StateEvent[] = [];
    const stop = store.watch("shop", (event) => events.push(event));
    await waitFor(() => events[0], { what: "first watch event" });
    stop();
    expect(events[0]).toMatchObject({ kind: "state", state: { revision: 1, canaryPercent: 33 } });

    expect(await bumpPercent(store, "shop", "next-writer")).toBe(2);
    const log = await store.auditLog("shop");
    expect(log.map((e) => [e.by, e.toRevision])).toEqual([["test", 0], ["killed-writer", 1], ["next-writer", 2]]);
    // The next writer built on the rolled-forward state (33%), not on the stale one.
    expect((await store.read("shop"))?.canaryPercent).toBe(34);
    expect(await readdir(dir)).not.toContain(stagedName(1));
  });

  it("rolls forward only the staged file its commit entry names, when two writers staged the same revision", async () => {
    const committed = nextOf(seeded, 33, "committed-writer");
    const other = nextOf(seeded, 77, "uncommitted-writer");
    await writeFile(join(dir, stagedName(1, "aaaaaaaaaaaaaaaa")), JSON.stringify(other.next));
    await writeFile(join(dir, stagedName(1, "bbbbbbbbbbbbbbbb")), JSON.stringify(committed.next));
    await appendFile(join(dir, "shop.audit.jsonl"), `${JSON.stringify(committed.audit)}\n`);
    expect((await store.read("shop"))?.canaryPercent).toBe(33);
    await bumpPercent(store, "shop", "next-writer");
    expect((await store.read("shop"))?.canaryPercent).toBe(34);
    expect((await readdir(dir)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("discards a staged state whose audit entry was never written (not acknowledged)", async () => {
    const { next } = nextOf(seeded, 33);
    await writeFile(join(dir, stagedName(1)), JSON.stringify(next));
    expect((await store.read("shop"))?.revision).toBe(0);
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

describe("FileStore faults that must not block a rollback", () => {
  it("rolls back with a corrupt last audit line, keeps the line, and warns once naming the file", async () => {
    await appendFile(join(dir, "shop.audit.jsonl"), '{"this is": "not an audit entry"}\n');
    const warnings = await warningsDuring(async () => {
      expect(await store.read("shop")).toEqual(seeded);
      const result = await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "cost gate" });
      expect(result).toMatchObject({ status: "changed", state: { phase: "rolled_back", canaryPercent: 0, revision: 1 } });
      await bumpPercent(store, "shop", "after").catch(() => undefined);
    });
    expect(warnings.filter((w) => w.message.includes("shop.audit.jsonl (last line)"))).toHaveLength(1);
    const lines = (await readFile(join(dir, "shop.audit.jsonl"), "utf8")).split("\n").filter(Boolean);
    expect(lines[1]).toBe('{"this is": "not an audit entry"}');
    expect(JSON.parse(lines[2] ?? "{}")).toMatchObject({ action: "rollback", fromRevision: 0, toRevision: 1 });
  });

  it("fails closed with a clear error on a state at revision 2^53-1, which no write can follow", async () => {
    await writeFile(join(dir, "shop.json"), JSON.stringify({ ...seeded, revision: MAX_REVISION }));
    const error = await store.read("shop").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidStateError);
    expect((error as InvalidStateError).field).toBe("revision");
    expect((error as InvalidStateError).message).toMatch(/largest revision.*set it to the revision of the last audit entry/);
    // Routers are told `invalid` and send every new session to baseline.
    const events: StateEvent[] = [];
    const stop = store.watch("shop", (event) => events.push(event));
    await waitFor(() => events[0], { what: "watch event" });
    stop();
    expect(events[0]?.kind).toBe("invalid");
    await expect(transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" })).rejects.toBeInstanceOf(InvalidStateError);
    // One below the largest still takes a write.
    await writeFile(join(dir, "shop.json"), JSON.stringify({ ...seeded, revision: MAX_REVISION - 1 }));
    await expect(transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" })).resolves.toMatchObject({ status: "changed", state: { revision: MAX_REVISION } });
  });

  it("refuses to follow a symlinked state file and does not quote the linked file's bytes", async () => {
    const secret = join(dir, "secret.txt");
    await writeFile(secret, "root:x:0:0:root:/root:/bin/bash\n");
    await rm(join(dir, "shop.json"));
    await symlink(secret, join(dir, "shop.json"));
    const error = (await store.read("shop").catch((e: unknown) => e)) as InvalidStateError;
    expect(error).toBeInstanceOf(InvalidStateError);
    expect(error.message).toMatch(/symbolic link/);
    expect(error.message).not.toMatch(/root:x/);
    expect(error.publicMessage).not.toContain(dir);
  });
});
