import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore } from "@agent-canary/rollout-state";
import { afterAll, describe, expect, it } from "vitest";
import { bumpPercent, seed } from "./fixtures.js";

const WRITER = join(import.meta.dirname, "fixtures", "crash-writer.mjs");

/**
 * Runs the writer and kills it with SIGKILL `delayMs` after its `afterAcks`-th
 * acknowledgement (or after it is ready, for 0), so the kill lands at a random point
 * inside a write however fast or loaded the machine is. Returns the last revision it acknowledged.
 */
function runAndKill(dir: string, afterAcks: number, delayMs: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dir, "shop"], { stdio: ["ignore", "pipe", "pipe"] });
    let lastAck: number | undefined;
    let acks = 0;
    let buffered = "";
    let stderr = "";
    const killSoon = () => setTimeout(() => child.kill("SIGKILL"), delayMs);
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "ready" && afterAcks === 0) killSoon();
        const match = /^ack (\d+)$/.exec(line);
        if (!match) continue;
        lastAck = Number(match[1]);
        if (++acks === afterAcks) killSoon();
      }
    });
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(lastAck);
      else reject(new Error(`writer exited on its own (${String(code)}): ${stderr}`));
    });
  });
}

describe("FileStore crash safety", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("keeps a valid state and every acknowledged transition across 30 SIGKILLs at random instants", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-crash-"));
    dirs.push(dir);
    const store = new FileStore({ dir });
    await seed(store, "shop");
    let acknowledged = 0;
    for (let round = 0; round < 30; round++) {
      const lastAck = await runAndKill(dir, Math.floor(Math.random() * 5), Math.random() * 10);
      if (lastAck !== undefined) acknowledged = Math.max(acknowledged, lastAck);
      const state = await store.read("shop");
      expect(state, `round ${round}`).toBeDefined();
      // Never behind what was acknowledged, and never behind the audit log either: a kill between
      // the commit (audit append) and the rename leaves a staged state that readers already see.
      expect(state?.revision, `round ${round}`).toBeGreaterThanOrEqual(acknowledged);
      const revisions = (await store.auditLog("shop")).map((e) => e.toRevision);
      expect(revisions.slice(0, acknowledged + 1), `round ${round}`).toEqual(Array.from({ length: acknowledged + 1 }, (_, i) => i));
      expect(state?.revision, `round ${round}: the state is the audit log's last revision`).toBe(revisions.at(-1));
    }
    // The next writer finishes whatever the last crash left: state and audit agree exactly.
    const finalRevision = await bumpPercent(store, "shop", "after-crashes");
    const log = await store.auditLog("shop");
    expect(log.map((e) => e.toRevision)).toEqual(Array.from({ length: finalRevision + 1 }, (_, i) => i));
    expect(acknowledged).toBeGreaterThan(0);
  });
});
