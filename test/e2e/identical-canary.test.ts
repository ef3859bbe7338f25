import { RECORDED } from "@agent-canary/gate-rules";
import { waitFor } from "@agent-canary/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYMENT } from "./harness/gates-config.js";
import { CANARY_PERCENT, startRun, type Run } from "./harness/scenario.js";
import { Slot } from "./harness/slot.js";

/**
 * How many times every gate must be evaluated with its minimum samples on both
 * arms, by the recording and the alerting rules alike, before the verdict: the
 * horizon counted in evaluations (at 1 s per evaluation, about 30 s) rather than
 * slept, so a slow machine lengthens the wait instead of shortening the test.
 */
const EVALUATIONS = 30;

/** `prometheus_rule_group_iterations_total` per rule group, from Prometheus' own /metrics. */
async function ruleGroupIterations(prometheusUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${prometheusUrl}/metrics`)).text();
  const iterations = new Map<string, number>();
  for (const match of text.matchAll(/^prometheus_rule_group_iterations_total\{rule_group="([^"]+)"\} (\S+)$/gm)) {
    iterations.set(match[1]!, Number(match[2]));
  }
  return iterations;
}

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
        const live = await stack.prometheus.query(`${RECORDED.statistic}{deployment="${DEPLOYMENT}"}`);
        return gateNames.every((name) => live.some((s) => s.metric.gate === name));
      },
      { timeoutMs: 120_000, intervalMs: 500, what: "every gate to have its minimum samples on both arms" },
    );
    const startIterations = await ruleGroupIterations(stack.prometheus.url);
    expect(startIterations.size, "Prometheus reports its rule groups").toBeGreaterThan(0);
    const statistic = `count_over_time(${RECORDED.statistic}{deployment="${DEPLOYMENT}"}[1h])`;
    await waitFor(
      async () => {
        const now = await ruleGroupIterations(stack.prometheus.url);
        const groupsDone = [...startIterations].every(([group, start]) => (now.get(group) ?? 0) - start >= EVALUATIONS);
        const evaluated = await stack.prometheus.query(statistic);
        const gatesDone = gateNames.every((name) => (evaluated.find((s) => s.metric.gate === name)?.value ?? 0) >= EVALUATIONS);
        return groupsDone && gatesDone;
      },
      // A hang guard only: the wait normally ends after about EVALUATIONS seconds.
      { timeoutMs: 300_000, intervalMs: 1_000, what: `every rule group and every gate's statistic to be evaluated ${EVALUATIONS} times` },
    );

    // Any alert that fired at any evaluation of the run, not only at the last one.
    const firing = await stack.prometheus.query(`max_over_time(ALERTS{deployment="${DEPLOYMENT}",alertstate="firing"}[1h])`);
    const statistics = await stack.prometheus.query(`${RECORDED.statistic}{deployment="${DEPLOYMENT}"}`);
    const boundaries = await stack.prometheus.query(`${RECORDED.boundary}{deployment="${DEPLOYMENT}"}`);
    for (const s of statistics) {
      const boundary = boundaries.find((b) => b.metric.gate === s.metric.gate)?.value;
      console.log(`A/A gate ${s.metric.gate}: z ${s.value.toFixed(2)} vs boundary ${boundary?.toFixed(2)}`);
    }
    expect(firing.map((a) => a.metric.alertname)).toEqual([]);
    const state = await stack.store.read(DEPLOYMENT);
    expect(state).toMatchObject({ phase: "progressing", canaryPercent: CANARY_PERCENT });
    const audit = await stack.store.auditLog(DEPLOYMENT);
    expect(audit.map((e) => e.action)).toEqual(["start"]);
    // Hang guard for the two waits above (120 s + 300 s), not a speed limit.
  }, 480_000);
});
