import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CasContractError, FileStore, InvalidStateError, parseAuditLine, parseStoredState, rollback, transition, type AuditEntry, type RolloutState } from "@agent-canary/rollout-state";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { seed } from "./fixtures.js";

// What a store refuses, and that a refusal changes nothing: the arithmetic of a
// compare-and-set, a stored state that does not parse, a staged file no commit names.

let dir: string;
let store: FileStore;
let seeded: RolloutState;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-canary-contract-"));
  store = new FileStore({ dir });
  seeded = await seed(store, "shop");
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** The directory's files and their bytes, to show a refused write changed nothing. */
async function snapshot(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) files[name] = await readFile(join(dir, name), "utf8").catch(() => "<directory>");
  return files;
}

/** The next state and its audit entry, as transition() builds them. */
function nextOf(state: RolloutState, overrides: { by?: string; at?: string; reason?: string; action?: "set" | "pause" } = {}): { next: RolloutState; audit: AuditEntry } {
  const at = overrides.at ?? new Date(Date.parse(state.updatedAt) + 1000).toISOString();
  const lastTransition = {
    at,
    by: overrides.by ?? "writer",
    action: overrides.action ?? ("set" as const),
    fromPhase: state.phase,
    fromPercent: state.canaryPercent,
    toPhase: state.phase,
    toPercent: 7,
    reason: overrides.reason ?? "bump",
  };
  const next = { ...state, revision: state.revision + 1, canaryPercent: 7, updatedAt: at, lastTransition };
  return { next, audit: { ...lastTransition, deployment: "shop", fromRevision: state.revision, toRevision: next.revision } };
}

async function refusal(work: () => Promise<unknown>): Promise<Error> {
  const before = await snapshot();
  const error = await work().then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!error) throw new Error("expected a refusal");
  expect(await snapshot()).toEqual(before);
  return error;
}

describe("compare-and-set arguments: a buggy caller writes nothing", () => {
  it("refuses a next state for another deployment or with a revision that skips", async () => {
    const { next, audit } = nextOf(seeded);
    const other = await refusal(() => store.compareAndSet("shop", 0, { ...next, deployment: "billing" }, audit));
    expect(other).toBeInstanceOf(CasContractError);
    expect(other.message).toBe('next.deployment is "billing", expected "shop"');
    const skipped = await refusal(() => store.compareAndSet("shop", 0, { ...next, revision: 2 }, { ...audit, toRevision: 2 }));
    expect(skipped.message).toBe("next.revision must be 1, got 2");
    const first = await refusal(() => store.compareAndSet("fresh", null, { ...next, deployment: "fresh", revision: 1 }, { ...audit, deployment: "fresh", fromRevision: null }));
    expect(first.message).toBe("next.revision must be 0, got 1");
  });

  it("refuses an audit entry that describes another write", async () => {
    const { next, audit } = nextOf(seeded);
    for (const wrong of [{ deployment: "billing" }, { toRevision: 2 }, { fromRevision: 1 }, { fromRevision: null }]) {
      const error = await refusal(() => store.compareAndSet("shop", 0, next, { ...audit, ...wrong }));
      expect(error).toBeInstanceOf(CasContractError);
      expect(error.message).toBe("audit entry must move shop from revision 0 to 1");
    }
    expect(await store.compareAndSet("shop", 0, next, audit)).toEqual({ ok: true, state: next });
  });

  it("refuses a next state, an audit entry or a recorded event that does not fit the schema, naming the field", async () => {
    const { next, audit } = nextOf(seeded);
    const badState = await refusal(() => store.compareAndSet("shop", 0, { ...next, canaryPercent: 250 }, audit));
    expect(badState).toBeInstanceOf(ZodError);
    expect((badState as ZodError).issues[0]?.path).toEqual(["canaryPercent"]);
    const badAudit = await refusal(() => store.compareAndSet("shop", 0, next, { ...audit, reason: 7 } as unknown as AuditEntry));
    expect(badAudit).toBeInstanceOf(ZodError);
    expect((badAudit as ZodError).issues[0]?.path).toEqual(["reason"]);
    const badEvent = await refusal(() => store.record("shop", { ...audit, toPercent: -1 }));
    expect(badEvent).toBeInstanceOf(ZodError);
    expect((badEvent as ZodError).issues[0]?.path).toEqual(["toPercent"]);
  });

  it("refuses to record an event for a deployment without a state, or one naming another deployment", async () => {
    const entry: AuditEntry = { ...nextOf(seeded).audit, fromRevision: 0, toRevision: 0 };
    const none = await refusal(() => store.record("billing", { ...entry, deployment: "billing" }));
    expect(none).toBeInstanceOf(CasContractError);
    expect(none.message).toBe("cannot record an event for billing: it has no state yet");
    const other = await refusal(() => store.record("shop", { ...entry, deployment: "billing" }));
    expect(other.message).toBe('entry.deployment is "billing", expected "shop"');
    // Whatever revisions the caller put in, the entry carries the current one.
    await store.record("shop", { ...entry, fromRevision: 40, toRevision: 41 });
    expect((await store.auditLog("shop")).at(-1)).toMatchObject({ fromRevision: 0, toRevision: 0 });
  });
});

describe("a stored state that does not parse is refused, naming the file and field; nothing is changed", () => {
  it("a state stored under another deployment's name", async () => {
    await writeFile(join(dir, "shop.json"), JSON.stringify({ ...seeded, deployment: "billing" }));
    const error = await refusal(() => transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" }));
    expect(error).toBeInstanceOf(InvalidStateError);
    expect(error).toMatchObject({ source: join(dir, "shop.json"), field: "deployment", detail: 'names "billing" but is stored for "shop"' });
    expect(error.message).toContain(`invalid rollout state in ${join(dir, "shop.json")} at field "deployment"`);
    expect(error.message).toContain("move the file aside and run `agent-canary rollout start --baseline ...`");
  });

  it("a field out of range, by its path", async () => {
    await writeFile(join(dir, "shop.json"), JSON.stringify({ ...seeded, baseline: { ...seeded.baseline, hash: "not-a-hash" } }));
    const error = (await refusal(() => store.read("shop"))) as InvalidStateError;
    expect(error.field).toBe("baseline.hash");
    expect(error.publicMessage).toMatch(/^invalid rollout state at field "baseline\.hash": /);
    expect(error.publicMessage).not.toContain(dir);
  });

  it("a state file that is not JSON: the public message quotes none of its bytes", async () => {
    await writeFile(join(dir, "shop.json"), "password=hunter2");
    const error = (await refusal(() => transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" }))) as InvalidStateError;
    expect(error.field).toBe("");
    expect(error.message).toMatch(new RegExp(`^invalid rollout state in ${join(dir, "shop.json").replace(/[./]/g, "\\$&")}: not valid JSON \\(`));
    expect(error.publicMessage).toBe("invalid rollout state: not valid JSON");
  });

  it("a directory where the state file should be", async () => {
    await rm(join(dir, "shop.json"));
    await mkdir(join(dir, "shop.json"));
    const error = (await refusal(() => transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" }))) as InvalidStateError;
    expect(error).toBeInstanceOf(InvalidStateError);
    expect(error.message).toMatch(/^invalid rollout state in shop\.json: is a directory\. Repair it by hand/);
  });

  it("an audit line that is not JSON or not an entry names the log and line, and says the state is intact", () => {
    const notJson = (() => {
      try {
        parseAuditLine("/s/shop.audit.jsonl:3", "{oops");
      } catch (e) {
        return e as InvalidStateError;
      }
      throw new Error("expected a refusal");
    })();
    expect(notJson.message).toMatch(/^invalid rollout state in \/s\/shop\.audit\.jsonl:3: audit line is not valid JSON \(/);
    expect(notJson.message).toContain("Repair or delete that audit entry (the state itself is intact)");
    expect(notJson.publicMessage).toBe("invalid rollout state: audit line is not valid JSON");
    expect(() => parseAuditLine("redis stream k entry 1-0", JSON.stringify({ by: "x" }))).toThrow(/^invalid rollout state in redis stream k entry 1-0 at field "\w+": .*Repair or delete that audit entry/);
  });

  it("parseStoredState takes a valid document as it is", () => {
    expect(parseStoredState("x", JSON.stringify(seeded), "shop")).toEqual(seeded);
  });
});

describe("a staged state is rolled forward only when its commit entry names it", () => {
  // A writer killed after staging and before its audit append never committed. Its staged
  // file must not be taken for the one a commit entry names, whichever field differs.
  it.each([
    ["by", { by: "someone-else" }],
    ["at", { at: "2030-01-01T00:00:00.000Z" }],
    ["reason", { reason: "another reason" }],
    ["action", { action: "pause" as const }],
  ])("ignores a staged state whose transition differs in %s, and keeps the state file", async (_field, differs) => {
    const { next, audit } = nextOf(seeded);
    const decoy = nextOf(seeded, differs).next;
    await writeFile(join(dir, "shop.json.1.0123456789abcdef.tmp"), JSON.stringify(decoy));
    // The commit entry of a write whose own staged file is gone (removed by hand).
    await writeFile(join(dir, "shop.audit.jsonl"), `${await readFile(join(dir, "shop.audit.jsonl"), "utf8")}${JSON.stringify(audit)}\n`);
    expect(await store.read("shop")).toEqual(seeded);
    // The matching staged file is the committed state.
    await writeFile(join(dir, "shop.json.1.fedcba9876543210.tmp"), JSON.stringify(next));
    expect(await store.read("shop")).toEqual(next);
  });

  it("ignores staged files of other deployments and of another revision", async () => {
    const { next, audit } = nextOf(seeded);
    await writeFile(join(dir, "shop-eu.json.1.0123456789abcdef.tmp"), JSON.stringify({ ...next, deployment: "shop-eu" }));
    await writeFile(join(dir, "shop.json.2.0123456789abcdef.tmp"), JSON.stringify({ ...next, revision: 2 }));
    await writeFile(join(dir, "shop.audit.jsonl"), `${await readFile(join(dir, "shop.audit.jsonl"), "utf8")}${JSON.stringify(audit)}\n`);
    expect(await store.read("shop")).toEqual(seeded);
    // The next write builds on the state file, and removes the shop files nobody committed.
    await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" });
    expect((await readdir(dir)).sort()).toEqual(["shop-eu.json.1.0123456789abcdef.tmp", "shop.audit.jsonl", "shop.json"]);
  });

  it("ignores a staged file whose name and content disagree on the revision", async () => {
    const { next, audit } = nextOf(seeded);
    // Named for revision 1 (the commit's), holding the same transition at revision 2.
    await writeFile(join(dir, "shop.json.1.0123456789abcdef.tmp"), JSON.stringify({ ...next, revision: 2 }));
    await writeFile(join(dir, "shop.audit.jsonl"), `${await readFile(join(dir, "shop.audit.jsonl"), "utf8")}${JSON.stringify(audit)}\n`);
    expect(await store.read("shop")).toEqual(seeded);
    await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" });
    expect(await store.read("shop")).toMatchObject({ revision: 1, phase: "rolled_back" });
  });

  it("ignores a staged state with no transition in it", async () => {
    const { next, audit } = nextOf(seeded);
    await writeFile(join(dir, "shop.json.1.0123456789abcdef.tmp"), JSON.stringify({ ...next, lastTransition: null }));
    await writeFile(join(dir, "shop.audit.jsonl"), `${await readFile(join(dir, "shop.audit.jsonl"), "utf8")}${JSON.stringify(audit)}\n`);
    expect(await store.read("shop")).toEqual(seeded);
  });

  it("passes over a staged name that is a directory or a symbolic link, and writes on", async () => {
    const { next, audit } = nextOf(seeded);
    await mkdir(join(dir, "shop.json.1.0123456789abcdef.tmp"));
    await writeFile(join(dir, "elsewhere.json"), JSON.stringify(next));
    await symlink(join(dir, "elsewhere.json"), join(dir, "shop.json.1.fedcba9876543210.tmp"));
    await writeFile(join(dir, "shop.audit.jsonl"), `${await readFile(join(dir, "shop.audit.jsonl"), "utf8")}${JSON.stringify(audit)}\n`);
    expect(await store.read("shop")).toEqual(seeded);
    await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" });
    expect(await store.read("shop")).toMatchObject({ revision: 1, phase: "rolled_back" });
  });

  it("takes neither a recorded event nor a commit already renamed into place for a pending commit", async () => {
    // A recorded event (revision 0 to 0) is the last line; a leftover staged state at
    // revision 0 carries that event's transition.
    const event: AuditEntry = { ...nextOf(seeded).audit, fromRevision: 0, toRevision: 0, reason: "resolved" };
    await store.record("shop", event);
    const [recorded] = (await store.auditLog("shop")).slice(-1);
    if (!recorded) throw new Error("no recorded entry");
    const decoy = (state: RolloutState, entry: AuditEntry) => JSON.stringify({ ...state, canaryPercent: 99, lastTransition: { ...state.lastTransition, at: entry.at, by: entry.by, action: entry.action, reason: entry.reason } });
    await writeFile(join(dir, "shop.json.0.0123456789abcdef.tmp"), decoy(seeded, recorded));
    expect(await store.read("shop")).toEqual(seeded);
    // A commit (0 to 1) whose rename happened: a copy of its staged state is no pending commit.
    const written = await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" });
    if (written.status !== "changed") throw new Error("rollback did not change the state");
    const [commit] = (await store.auditLog("shop")).slice(-1);
    if (!commit) throw new Error("no commit entry");
    await writeFile(join(dir, "shop.json.1.0123456789abcdef.tmp"), decoy(written.state, commit));
    expect(await store.read("shop")).toEqual(written.state);
  });

  it("reads a staged file of an earlier version's name (no token)", async () => {
    const { next, audit } = nextOf(seeded);
    await writeFile(join(dir, "shop.json.1.tmp"), JSON.stringify(next));
    await writeFile(join(dir, "shop.audit.jsonl"), `${await readFile(join(dir, "shop.audit.jsonl"), "utf8")}${JSON.stringify(audit)}\n`);
    expect(await store.read("shop")).toEqual(next);
  });

  it("rolls forward a staged state of a revision with more than one digit", async () => {
    const eleventh = { ...seeded, revision: 11 };
    await writeFile(join(dir, "shop.json"), JSON.stringify(eleventh));
    const { next, audit } = nextOf(eleventh);
    await writeFile(join(dir, "shop.json.12.0123456789abcdef.tmp"), JSON.stringify(next));
    await writeFile(join(dir, "shop.audit.jsonl"), `${await readFile(join(dir, "shop.audit.jsonl"), "utf8")}${JSON.stringify(audit)}\n`);
    expect(await store.read("shop")).toEqual(next);
    await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" });
    expect(await store.read("shop")).toMatchObject({ revision: 13, phase: "rolled_back" });
    expect((await readdir(dir)).sort()).toEqual(["shop.audit.jsonl", "shop.json"]);
  });

  it("lists only names that are deployments' state files", async () => {
    for (const name of ["notes.txt", "shop.json.1.tmp", "Bad Name.json", ".json"]) await writeFile(join(dir, name), "{}");
    await seed(store, "billing");
    expect(await store.list()).toEqual(["billing", "shop"]);
  });
});
