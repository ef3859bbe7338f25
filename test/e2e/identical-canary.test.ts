import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "@agent-canary/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYMENT } from "./harness/gates-config.js";
import { CANARY_PERCENT, startRun, type Run } from "./harness/scenario.js";
import { Slot } from "./harness/slot.js";

/** How long the gates watch the identical canary once every gate has its minimum samples. */
const HORIZON_MS = 30_000;

/**
 * An A/A rollout: the canary behaves exactly like the baseline. With every
 * gate evaluating once a second, none may fire within the horizon.
 */
describe("e2e: an identical canary", () => {
  const slot = new Slot<Run>("the identical-canary run");

  beforeAll(async () => {
    slot.set(await startRun({}, 37));
  });
  afterAll(async () => {
    await slot.current?.stop();
  });

  it("is not rolled back or held while every gate evaluates it", async () => {
    const { stack } = slot.get();
    // Only a gate with its minimum samples on both arms can fire: wait until all are live.
    const gateNames = stack.gates.gates.map((g) => g.name);
    await waitFor(
      async () => {
        const live = await stack.prometheus.query(`deployment:agent_canary_gate_statistic:z{deployment="${DEPLOYMENT}"}`);
        return gateNames.every((name) => live.some((s) => s.metric.gate === name));
      },
      { timeoutMs: 120_000, intervalMs: 500, what: "every gate to have its minimum samples on both arms" },
    );
    await sleep(HORIZON_MS);

    const firing = await stack.prometheus.query(`ALERTS{deployment="${DEPLOYMENT}",alertstate="firing"}`);
    const statistics = await stack.prometheus.query(`deployment:agent_canary_gate_statistic:z{deployment="${DEPLOYMENT}"}`);
    const boundaries = await stack.prometheus.query(`deployment:agent_canary_gate_boundary:z{deployment="${DEPLOYMENT}"}`);
    for (const s of statistics) {
      const boundary = boundaries.find((b) => b.metric.gate === s.metric.gate)?.value;
      console.log(`A/A gate ${s.metric.gate}: z ${s.value.toFixed(2)} vs boundary ${boundary?.toFixed(2)}`);
    }
    expect(firing.map((a) => a.metric.alertname)).toEqual([]);
    const state = await stack.store.read(DEPLOYMENT);
    expect(state).toMatchObject({ phase: "progressing", canaryPercent: CANARY_PERCENT });
    const audit = await stack.store.auditLog(DEPLOYMENT);
    expect(audit.map((e) => e.action)).toEqual(["start"]);
  });
});
