import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControllerFleet, ManualClock, type GateQuery, type GateReport, type GateSource } from "@agent-canary/rollout";
import { rollback, stagesFrom, start, transition, type FileStore } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { beforeEach, describe, expect, it } from "vitest";
import { BASELINE, CANARY, tempStore } from "./helpers.js";

const CLI = join(import.meta.dirname, "fixtures", "cli.mjs");
const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Every gate passes and both arms have plenty of sessions: only the plan's durations hold a rollout back. */
class HealthyGates implements GateSource {
  queried: string[] = [];
  async report(query: GateQuery): Promise<GateReport> {
    this.queried.push(query.deployment);
    return { firing: [], verdicts: [{ gate: "cost", verdict: "passing", action: "rollback", passBeforePercent: 25 }], sessions: { baseline: 1000, canary: 1000 } };
  }
}

let store: FileStore;
let clock: ManualClock;

beforeEach(async () => {
  store = await tempStore();
  clock = new ManualClock();
});

async function startShop(deployment: string, canary = CANARY): Promise<void> {
  await transition(store, deployment, start({ deployment, baseline: BASELINE, canary, stages: stagesFrom([5, 100], 600, 20) }), { by: "cli:test", reason: "start" }, { now: () => clock.now() });
}

describe("long-running controller (ControllerFleet)", () => {
  it("drives every rollout in progress, leaves rolled-back ones alone, and a new instance carries on where the last stopped", async () => {
    await startShop("shop");
    await startShop("billing");
    await startShop("search");
    await transition(store, "search", rollback("search"), { by: "alertmanager:x", reason: "gate" });
    const gates = new HealthyGates();
    const fleet = new ControllerFleet({ store, gates, clock, log: quietLog });
    clock.advance(3600_000);
    const first = await fleet.pass();
    expect([...first.keys()].sort()).toEqual(["billing", "shop"]);
    expect(first.get("shop")).toMatchObject({ kind: "advanced" });
    expect(gates.queried).not.toContain("search");
    // A restart (a new pod) holds nothing but the store: it picks the rollouts up at their stage.
    const restarted = new ControllerFleet({ store, gates, clock, log: quietLog, deployments: ["shop"] });
    clock.advance(3600_000);
    expect((await restarted.pass()).get("shop")).toMatchObject({ kind: "promoted" });
    expect(await store.read("shop")).toMatchObject({ phase: "promoted", baseline: CANARY });
    expect((await store.read("search"))?.phase).toBe("rolled_back");
    // Nothing in progress for "shop" any more: the next pass leaves it alone.
    expect((await restarted.pass()).size).toBe(0);
  });

  it("runs through its bin until SIGTERM, and `rollout start` refuses to restart a rolled-back canary without --restart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-fleet-"));
    const storeSpec = `file:${join(dir, "state")}`;
    const gatesFile = join(dir, "gates.yaml");
    await writeFile(gatesFile, "deployments: [shop]\n");
    const run = (args: string[]) => {
      const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      return { child, exited, output: () => output };
    };
    const startArgs = ["rollout", "start", "--deployment", "shop", "--baseline", "00000000000000aa", "--canary", "00000000000000bb", "--plan", "low", "--store", storeSpec];
    expect(await run(startArgs).exited).toBe(0);
    // Prometheus is not there: the controller waits (never advances blind) and says why.
    const controller = run(["rollout", "controller", "--store", storeSpec, "--prometheus-url", "http://127.0.0.1:9", "--gates", gatesFile, "--interval", "1"]);
    await waitFor(() => controller.output().includes("gate source failed"), { timeoutMs: 30_000, what: `the controller's first pass\n${controller.output()}` });
    expect(controller.output()).toMatch(/"deployment":"shop".*"msg":"driving rollout"/);
    controller.child.kill("SIGTERM");
    expect(await controller.exited).toBe(0);
    expect(controller.output()).toContain("controller: stopped");

    expect(await run(["rollout", "rollback", "--deployment", "shop", "--store", storeSpec]).exited).toBe(0);
    const retried = run(startArgs);
    expect(await retried.exited).toBe(1);
    expect(retried.output()).toMatch(/canary 00000000000000bb of "shop" was rolled back at .*; not restarting it: pass --restart/);
    const restarted = run([...startArgs, "--restart"]);
    expect(await restarted.exited).toBe(0);
    expect(restarted.output()).toMatch(/phase progressing +canary 1%/);
  });
});
