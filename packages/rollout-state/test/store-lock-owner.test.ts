import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { certainlyDead, newOwner, parseOwner, selfIdentity, startTimeFromStat, type LockOwner } from "../src/file/lock-owner.js";
import { DEAD_PID } from "./fixtures.js";

// When a lock's holder is certainly gone, so a writer may break its lock at once instead of
// waiting out the lease; every doubt (another host, container or boot, an unknown start
// time) must answer "not certain", or a live writer's lock would be broken under it.

const me = (): LockOwner => newOwner();
/** A holder that ran as `pid` in this boot and PID namespace, started at `start`. */
const holder = (pid: number, start: string | null, overrides: Partial<LockOwner> = {}): LockOwner => ({ ...me(), pid, start, ...overrides });

describe("certainlyDead", () => {
  it("is false for a live holder: this process, with its own start time", async () => {
    expect(await certainlyDead(me())).toBe(false);
  });

  it("is true for a pid that names no process in this boot and namespace", async () => {
    expect(await certainlyDead(holder(DEAD_PID, "12345"))).toBe(true);
  });

  it("is true for a pid reused by another process (same pid, another start time)", async () => {
    const ownStart = selfIdentity().start;
    expect(ownStart).toMatch(/^\d+$/);
    expect(await certainlyDead(holder(process.pid, `${ownStart}0`))).toBe(true);
  });

  it.each([
    ["another kernel boot", { boot: "00000000-0000-0000-0000-000000000000" }],
    ["another PID namespace (another container)", { pidns: "pid:[1]" }],
    ["an unknown boot (no /proc where it ran)", { boot: null }],
    ["an unknown PID namespace", { pidns: null }],
  ])("is false, whatever its pid, for a holder from %s", async (_where, overrides) => {
    expect(await certainlyDead(holder(DEAD_PID, "12345", overrides))).toBe(false);
  });

  it("is false for a holder whose start time is unknown, even with a pid no process has", async () => {
    expect(await certainlyDead(holder(DEAD_PID, null))).toBe(false);
  });

  it("is false for another live process of this namespace, with its start time (pid 1 is always there)", async () => {
    expect(await certainlyDead(holder(1, startTimeFromStat(readFileSync("/proc/1/stat", "utf8"))))).toBe(false);
  });
});

describe("the owner written into a lock", () => {
  it("round-trips through the lock file's text, and any other text is no owner", () => {
    const owner = me();
    expect(parseOwner(`${JSON.stringify(owner)}\n`)).toEqual(owner);
    expect(parseOwner(JSON.stringify({ ...owner, pid: 1.5 }))).toBeUndefined();
    expect(parseOwner(JSON.stringify({ ...owner, token: "0123456789abcde" }))).toBeUndefined();
    expect(parseOwner(JSON.stringify({ ...owner, token: `${"a".repeat(64)}0` }))).toBeUndefined();
    expect(parseOwner(JSON.stringify({ ...owner, token: `x${"a".repeat(20)}` }))).toBeUndefined();
    expect(parseOwner(JSON.stringify({ ...owner, start: 17 }))).toBeUndefined();
    expect(parseOwner("")).toBeUndefined();
  });

  it("reads the start time as field 22 of /proc/<pid>/stat, after a command name with spaces", () => {
    const rest = Array.from({ length: 25 }, (_, i) => `f${i + 3}`).join(" ");
    expect(startTimeFromStat(`7 (a) b) ${rest}`)).toBe("f22");
    expect(startTimeFromStat(`7 (plain) ${rest}`)).toBe("f22");
  });
});
