import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addRolloutCommands, type DeploymentRecord } from "@agent-canary/rollout";
import { FileStore, start, stagesFrom, transition } from "@agent-canary/rollout-state";
import { Command } from "commander";
import { beforeEach, describe, expect, it } from "vitest";
import { amPayload, post, startReceiver } from "./helpers.js";

let dir: string;
let store: FileStore;
let storeSpec: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-canary-records-"));
  store = new FileStore({ dir: join(dir, "state") });
  storeSpec = `file:${join(dir, "state")}`;
});

async function cli(...args: string[]): Promise<string> {
  let out = "";
  const program = new Command("agent-canary").exitOverride();
  addRolloutCommands(program, { stdout: { write: (s: string) => (out += s) }, env: {}, user: "tester" });
  await program.parseAsync(args, { from: "user" });
  return out;
}

async function onlyRecord(recordsDir: string): Promise<DeploymentRecord> {
  const files = await readdir(recordsDir);
  expect(files).toHaveLength(1);
  return JSON.parse(await readFile(join(recordsDir, files[0] ?? ""), "utf8")) as DeploymentRecord;
}

describe("deployment records for every ending", () => {
  it("an operator's rollback writes the record: the versions' contents, what changed, the stage it ended in, total time", async () => {
    const v1 = join(dir, "v1.yaml");
    const v2 = join(dir, "v2.yaml");
    await writeFile(v1, "model: gpt-4o-mini\nsystemPrompt: You are helpful.\nlabel: v1\n");
    await writeFile(v2, "model: gpt-4o-mini-2024-07-18\nsystemPrompt: You are helpful.\nlabel: v2\n");
    await cli("rollout", "start", "--deployment", "shop", "--baseline", v1, "--canary", v2, "--plan", "low", "--store", storeSpec);
    await cli("rollout", "set", "--deployment", "shop", "--percent", "25", "--store", storeSpec);
    const records = join(dir, "records");
    expect(await cli("rollout", "rollback", "--deployment", "shop", "--reason", "cost up 3x", "--archive-dir", records, "--store", storeSpec)).toMatch(/deployment record: .*shop-.*\.json/);
    const record = await onlyRecord(records);
    expect(record).toMatchObject({ deployment: "shop", outcome: "rolled_back", endedBy: "cli:tester", changes: ["model"] });
    expect(record.canary?.spec).toMatchObject({ model: "gpt-4o-mini-2024-07-18", systemPrompt: "You are helpful." });
    expect(record.baseline?.spec).toMatchObject({ model: "gpt-4o-mini" });
    expect(record.stages).toEqual([expect.objectContaining({ index: 0, percent: 25 })]);
    expect(record.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(record.rolloutId).toMatch(/^\d{8}T\d{6}Z-/);
    // A second rollback changes nothing and writes no second record.
    await cli("rollout", "rollback", "--deployment", "shop", "--archive-dir", records, "--store", storeSpec);
    expect(await readdir(records)).toHaveLength(1);
  });

  it("an operator's promotion writes the stage it ended in; bare hashes say the contents are unknown", async () => {
    await cli("rollout", "start", "--deployment", "shop", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--plan", "low", "--store", storeSpec);
    const records = join(dir, "records");
    await cli("rollout", "promote", "--deployment", "shop", "--archive-dir", records, "--store", storeSpec);
    const record = await onlyRecord(records);
    expect(record).toMatchObject({ outcome: "promoted", baseline: { hash: "00000000000000aa" }, canary: { hash: "00000000000000bb" }, changes: null });
    expect(record.stages).toEqual([expect.objectContaining({ index: 0, percent: 1 })]);
  });

  it("the receiver writes the record when an alert rolls the rollout back, and none for a duplicate", async () => {
    await transition(store, "shop", start({ deployment: "shop", baseline: { hash: "00000000000000aa" }, canary: { hash: "00000000000000bb" }, stages: stagesFrom([5, 100], 60, 10) }), { by: "cli:test", reason: "start" });
    const records = join(dir, "receiver-records");
    const { receiver, url } = await startReceiver(store, { recordsDir: records });
    try {
      const rolloutId = (await store.read("shop"))?.rolloutId ?? "";
      const alert = { labels: { alertname: "AgentCanaryCostRegression", deployment: "shop", action: "rollback", rollout_id: rolloutId }, fingerprint: "ee05", startsAt: new Date().toISOString() };
      for (let i = 0; i < 2; i++) expect((await post(`${url}/hooks/alertmanager`, JSON.stringify(amPayload([alert])))).status).toBe(200);
    } finally {
      await receiver.close();
    }
    const record = await onlyRecord(records);
    expect(record).toMatchObject({ outcome: "rolled_back", endedBy: "alertmanager:ee05", canary: { hash: "00000000000000bb" } });
    expect(record.stages).toEqual([expect.objectContaining({ index: 0, percent: 5 })]);
    // Written at the rollback: the duplicate delivery came after and wrote no second record.
    expect(record.transitions.map((t) => [t.action, t.outcome ?? "changed"])).toEqual([["start", "changed"], ["rollback", "changed"]]);
  });
});
