import { appendFile, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { readdirSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, StoreUnavailableError, type AuditEntry, type RolloutState } from "@agent-canary/rollout-state";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readLastLine, truncateTornTail, writeFileSynced } from "../src/file/durable.js";
import { bumpPercent, seed } from "./fixtures.js";

// The file store's own I/O: the audit log's last line however long it is, a torn append
// however long it is, staged files that are never overwritten, the probe's leftovers, and
// the listing of a directory that is not there.

let dir: string;
let store: FileStore;
let seeded: RolloutState;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-canary-durable-"));
  store = new FileStore({ dir });
  seeded = await seed(store, "shop");
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const auditPath = () => join(dir, "shop.audit.jsonl");
const auditLines = async () => (await readFile(auditPath(), "utf8")).split("\n");

/** A committed write (audit entry appended) whose rename never happened, with a reason of `reasonLength` characters. */
async function commitWithoutRename(reasonLength: number): Promise<RolloutState> {
  const at = new Date(Date.parse(seeded.updatedAt) + 1000).toISOString();
  const reason = "r".repeat(reasonLength);
  const lastTransition = { at, by: "killed", action: "set" as const, fromPhase: seeded.phase, fromPercent: seeded.canaryPercent, toPhase: seeded.phase, toPercent: 55, reason };
  const next = { ...seeded, revision: 1, canaryPercent: 55, updatedAt: at, lastTransition };
  const audit: AuditEntry = { ...lastTransition, deployment: "shop", fromRevision: 0, toRevision: 1 };
  await writeFile(join(dir, "shop.json.1.0123456789abcdef.tmp"), JSON.stringify(next));
  await appendFile(auditPath(), `${JSON.stringify(audit)}\n`);
  return next;
}

describe("the audit log's last line", () => {
  it.each([
    ["shorter than the first read window", 100],
    ["longer than the first read window (16 KiB)", 20_000],
    ["longer than four read windows", 100_000],
  ])("finds a commit entry %s, so readers see the committed state and the next write builds on it", async (_what, length) => {
    const committed = await commitWithoutRename(length);
    expect(await store.read("shop")).toEqual(committed);
    expect(await bumpPercent(store, "shop", "next")).toBe(2);
    expect((await store.read("shop"))?.canaryPercent).toBe(56);
  });

  it("finds the commit entry at the end of a log of many lines longer than the read window", async () => {
    const entry = (await store.auditLog("shop"))[0];
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ ...entry, reason: `record ${i}`, fromRevision: 0, toRevision: 0 }));
    await appendFile(auditPath(), `${lines.join("\n")}\n`);
    expect((await stat(auditPath())).size).toBeGreaterThan(1 << 15);
    const committed = await commitWithoutRename(10);
    expect(await store.read("shop")).toEqual(committed);
  });

  it("reads the only line of a one-line file, and nothing from a file without a complete line", async () => {
    const file = join(dir, "lines.txt");
    await writeFile(file, "only\n");
    expect(await readLastLine(file)).toBe("only");
    await writeFile(file, `${"x".repeat(40_000)}\n`);
    expect(await readLastLine(file)).toBe("x".repeat(40_000));
    for (const text of ["no newline yet", "x".repeat(40_000)]) {
      await writeFile(file, text);
      expect(await readLastLine(file)).toBeUndefined();
    }
    await writeFile(file, "");
    expect(await readLastLine(file)).toBeUndefined();
    expect(await readLastLine(join(dir, "absent"))).toBeUndefined();
  });

  it("skips a torn tail after the last complete line, however long it is", async () => {
    const file = join(dir, "lines.txt");
    await writeFile(file, "first\nsecond\nthi");
    expect(await readLastLine(file)).toBe("second");
    // Longer than the first read window (16 KiB), and than four of them.
    for (const torn of [20_000, 100_000]) {
      await writeFile(file, `first\nsecond\n${"t".repeat(torn)}`);
      expect(await readLastLine(file)).toBe("second");
    }
    await writeFile(file, `only\n${"t".repeat(20_000)}`);
    expect(await readLastLine(file)).toBe("only");
    // The last newline is the first byte of the 16 KiB window: the line before it is further back.
    await writeFile(file, `first\nsecond\n${"t".repeat((1 << 14) - 1)}`);
    expect(await readLastLine(file)).toBe("second");
    await writeFile(file, `\n${"t".repeat(10)}`);
    expect(await readLastLine(file)).toBe("");
    await writeFile(file, "first\nsecond\n");
    expect(await readLastLine(file)).toBe("second");
  });
});

describe("a torn audit append (a writer killed mid-line)", () => {
  it.each([
    ["short", 40],
    ["longer than one 64 KiB read", 200_000],
  ])("is cut before the next write when it is %s, keeping every acknowledged line", async (_what, length) => {
    const before = await auditLines();
    await appendFile(auditPath(), `{"at":"${"t".repeat(length)}`);
    // Readers ignore it meanwhile.
    expect(await store.auditLog("shop")).toHaveLength(1);
    await bumpPercent(store, "shop", "next");
    const after = await auditLines();
    expect(after.slice(0, before.length - 1)).toEqual(before.slice(0, -1));
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)).toBe("");
    expect((await store.auditLog("shop")).map((e) => e.by)).toEqual(["test", "next"]);
  });

  it("keeps the line before a torn tail that starts exactly at a 64 KiB read's first byte", async () => {
    // The cut walks back from the end in 64 KiB reads: here the newline that ends the last
    // complete line is the first byte of the last read.
    const torn = "t".repeat((1 << 16) - 1);
    await appendFile(auditPath(), torn);
    const acknowledged = (await auditLines()).slice(0, -1);
    await truncateTornTail(auditPath());
    expect(await auditLines()).toEqual([...acknowledged, ""]);
    expect((await store.auditLog("shop")).map((e) => e.by)).toEqual(["test"]);
  });

  it("empties a log that holds nothing but a torn line", async () => {
    await writeFile(auditPath(), '{"at":"2026');
    await truncateTornTail(auditPath());
    expect(await readFile(auditPath(), "utf8")).toBe("");
    const longTorn = "x".repeat(150_000);
    await writeFile(auditPath(), longTorn);
    await truncateTornTail(auditPath());
    expect(await readFile(auditPath(), "utf8")).toBe("");
  });

  it("leaves a log that ends in a newline as it is, and a missing log missing", async () => {
    const raw = await readFile(auditPath(), "utf8");
    const { mtimeMs } = await stat(auditPath());
    await truncateTornTail(auditPath());
    expect(await readFile(auditPath(), "utf8")).toBe(raw);
    expect((await stat(auditPath())).mtimeMs).toBe(mtimeMs);
    await truncateTornTail(join(dir, "absent.audit.jsonl"));
    expect(await readdir(dir)).not.toContain("absent.audit.jsonl");
    await writeFile(join(dir, "empty"), "");
    await truncateTornTail(join(dir, "empty"));
    expect(await readFile(join(dir, "empty"), "utf8")).toBe("");
  });
});

describe("file descriptors", () => {
  /** Descriptors of this process open on a file in the store's directory. */
  const openInDir = (): string[] =>
    readdirSync("/proc/self/fd").flatMap((fd) => {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        return target.startsWith(`${dir}/`) || target === dir ? [target] : [];
      } catch {
        return [];
      }
    });

  it("none stays open after writes, reads, a torn-tail cut, a probe and a failed staged write", async () => {
    await commitWithoutRename(20_000);
    expect((await store.read("shop"))?.revision).toBe(1);
    await appendFile(auditPath(), '{"torn');
    await bumpPercent(store, "shop", "next");
    await store.auditLog("shop");
    await store.probe(60_000);
    await writeFile(join(dir, "taken.tmp"), "x");
    await writeFileSynced(join(dir, "taken.tmp"), "y").catch(() => undefined);
    await writeFile(join(dir, "lines.txt"), "a\nb\n");
    await readLastLine(join(dir, "lines.txt"));
    expect(openInDir()).toEqual([]);
  });
});

describe("staged files", () => {
  it("are never written over: a second write to the same name fails and keeps the first", async () => {
    const file = join(dir, "shop.json.1.0123456789abcdef.tmp");
    await writeFileSynced(file, "first");
    await expect(writeFileSynced(file, "second")).rejects.toMatchObject({ code: "EEXIST" });
    expect(await readFile(file, "utf8")).toBe("first");
  });

  it("are removed again when the write itself fails", async () => {
    // A directory cannot be opened for writing: the open fails, and nothing is left behind.
    await expect(writeFileSynced(join(dir, "no-such-dir", "x.tmp"), "data")).rejects.toMatchObject({ code: "ENOENT" });
    expect(await readdir(dir)).not.toContain("no-such-dir");
  });
});

describe("probe() and list()", () => {
  it("removes probe files left over a minute ago by a crashed probe, and keeps the others", async () => {
    const old = join(dir, ".agent-canary-probe.0011223344556677");
    const recent = join(dir, ".agent-canary-probe.8899aabbccddeeff");
    const unrelated = join(dir, "notes.txt");
    for (const file of [old, recent, unrelated]) await writeFile(file, "probe\n");
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await utimes(old, twoMinutesAgo, twoMinutesAgo);
    await utimes(unrelated, twoMinutesAgo, twoMinutesAgo);
    await store.probe(60_000);
    expect((await readdir(dir)).sort()).toEqual([".agent-canary-probe.8899aabbccddeeff", "notes.txt", "shop.audit.jsonl", "shop.json"]);
  });

  it("probe() says the directory cannot be written, without naming it, when it cannot be made", async () => {
    await writeFile(join(dir, "a-file"), "x");
    const blocked = new FileStore({ dir: join(dir, "a-file", "state") });
    const error = await blocked.probe(60_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe("the file store's directory cannot be written (ENOTDIR)");
  });

  it("list() is empty for a directory not made yet, and fails for a path that is a file", async () => {
    expect(await new FileStore({ dir: join(dir, "not-yet") }).list()).toEqual([]);
    await writeFile(join(dir, "a-file"), "x");
    await expect(new FileStore({ dir: join(dir, "a-file") }).list()).rejects.toMatchObject({ code: "ENOTDIR" });
  });

  it("auditLog() returns the newest entries up to the limit, oldest first", async () => {
    for (let i = 0; i < 4; i++) await bumpPercent(store, "shop", `w${i}`);
    expect((await store.auditLog("shop", { limit: 2 })).map((e) => e.by)).toEqual(["w2", "w3"]);
    expect((await store.auditLog("shop", { limit: 50 })).map((e) => e.by)).toEqual(["test", "w0", "w1", "w2", "w3"]);
    expect(await new FileStore({ dir }).auditLog("billing")).toEqual([]);
  });

  it("reports its writes as durable", async () => {
    expect(await store.durability()).toEqual({ durable: true, findings: [expect.stringContaining("fsynced")] });
  });
});
