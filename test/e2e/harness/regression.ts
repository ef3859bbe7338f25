import type { BehaviourOptions } from "@agent-canary/example-support-agent";
import type { RolloutState } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { expect } from "vitest";
import { DEPLOYMENT } from "./gates-config.js";
import { startRun, waitForRollback, type Run } from "./scenario.js";

/** A regressing canary on the whole alert path, and what the suite checks about its rollback. */
export interface Regression {
  run: Run;
  rolledBack: RolloutState;
  /** The alert that rolled it back. */
  alertname: string;
}

/**
 * Starts the stack and the fleet with a regressing canary and waits until the
 * receiver, told by Alertmanager, has set the canary to 0% in Redis. Prints
 * the time from the regression's onset (first canary traffic) to canary 0%.
 */
export async function rollBackThroughAlerts(label: string, canaryBehaviour: BehaviourOptions, seed: number): Promise<Regression> {
  const run = await startRun(canaryBehaviour, seed);
  try {
    const rolledBack = await waitForRollback(run.stack.store);
    const at = Date.parse(rolledBack.rolledBackAt ?? rolledBack.updatedAt);
    const canarySessions = run.fleet.records.filter((r) => r.group === "canary" && r.endedAt <= at).length;
    const reason = rolledBack.lastTransition?.reason ?? "";
    console.log(`${label}: canary at 0% ${((at - run.onsetAt) / 1000).toFixed(1)} s after the regression's onset, after ${canarySessions} canary sessions (${reason})`);
    return { run, rolledBack, alertname: reason.split(" ")[0] ?? "" };
  } catch (error) {
    await run.stop();
    throw error;
  }
}

/** The rollback was written by the receiver on an Alertmanager notification of one of `alerts`. */
export async function expectRolledBackByAlert(regression: Regression, alerts: readonly string[]): Promise<void> {
  const { rolledBack, run } = regression;
  expect(rolledBack.lastTransition).toMatchObject({ action: "rollback", toPercent: 0, by: expect.stringMatching(/^alertmanager:/) });
  expect(alerts).toContain(regression.alertname);
  const audit = await run.stack.store.auditLog(DEPLOYMENT);
  expect(audit.filter((e) => e.action === "rollback" && e.fromRevision !== e.toRevision)).toHaveLength(1);
}

/**
 * Canary sessions running when the rollback landed finish on canary with a
 * normal outcome; sessions that start after the agent's router saw it all run
 * on baseline. Waits for enough later sessions to make the second claim mean something.
 */
export async function expectDrain(regression: Regression): Promise<void> {
  const { run, rolledBack } = regression;
  const rolledBackAt = Date.parse(rolledBack.rolledBackAt ?? rolledBack.updatedAt);
  const sawAt = await waitFor(() => (run.fleet.handle.runtime.rolloutState?.phase === "rolled_back" ? Date.now() : undefined), {
    what: "the agent's router to see the rollback",
  });
  const later = () => run.fleet.records.filter((r) => r.startedAt > sawAt);
  await waitFor(() => later().length >= 60, { timeoutMs: 60_000, what: "60 sessions started after the router saw the rollback" });
  // Every session running at the rollback has ended by now: each takes well under a second.
  await waitFor(() => run.fleet.inFlight().every((s) => s.startedAt > rolledBackAt), { what: "the in-flight sessions to end" });

  const inFlight = run.fleet.records.filter((r) => r.group === "canary" && r.startedAt <= rolledBackAt && r.endedAt > rolledBackAt);
  const outcomes = inFlight.map((r) => r.outcome);
  console.log(`drain: ${inFlight.length} canary sessions in flight at the rollback ended ${JSON.stringify(count(outcomes))}; ${later().length} sessions started after it`);
  expect(inFlight.length).toBeGreaterThan(0);
  for (const outcome of outcomes) expect(["completed", "failed", "loop_detected", "max_turns", "budget_exceeded"]).toContain(outcome);
  expect(later().filter((r) => r.group === "canary")).toEqual([]);
}

function count(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
