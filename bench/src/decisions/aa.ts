import { sessionModel, simulateRollout, type GatesConfig, type RolloutSimulationResult, type SessionModelParams, type Traffic } from "@agent-canary/gate-rules";
import type { Stage } from "@agent-canary/conventions";
import { AT_TOLERANCE, SESSIONS_PER_MINUTE, tenantShares, type AAScenario } from "./scenarios.ts";

/** False holds and rollbacks over a set of simulated rollouts, and which gates fired. */
export interface FalseAlarms {
  runs: number;
  rollbacks: number;
  holds: number;
  fired: Map<string, number>;
  /** Runs that ended with every gate undecided (a rollout the gates cannot judge). */
  allUndecided: number;
}

export function tally(results: readonly RolloutSimulationResult[]): FalseAlarms {
  const out: FalseAlarms = { runs: results.length, rollbacks: 0, holds: 0, fired: new Map(), allUndecided: 0 };
  for (const r of results) {
    if (r.firing) {
      if (r.firing.action === "rollback") out.rollbacks++;
      else out.holds++;
      out.fired.set(r.firing.gate, (out.fired.get(r.firing.gate) ?? 0) + 1);
    }
    if (r.passed.size === 0 && !r.firing) out.allUndecided++;
  }
  return out;
}

const model = (p: Partial<SessionModelParams> = {}) => sessionModel(p);

/** Identical versions through a plan, every gate every minute; a rollout stops at its first firing, as the receiver would stop it. */
export function runAA(config: GatesConfig, s: AAScenario, runs: number, seed: number): FalseAlarms {
  const results: RolloutSimulationResult[] = [];
  for (let r = 0; r < runs; r++) {
    const m = model(s.both);
    results.push(
      simulateRollout({
        config,
        baseline: m,
        canary: m,
        traffic: s.traffic,
        seed: seed + r,
        ...(s.stages ? { stages: s.stages } : {}),
        ...(s.before ? { before: s.before } : {}),
        ...(s.randomStartHour ? { startMinute: ((seed + r) * 7919) % (24 * 60) } : {}),
      }),
    );
  }
  return tally(results);
}

/**
 * A rollout right after another one: the first (a 2x-cost, 10%-loop canary, or a
 * healthy one) runs until its gates roll it back (or it is promoted), the next
 * one (identical versions) starts an hour later. Every sum of the rules is by
 * rollout_id, and the simulation keeps one ledger per rollout as the rules
 * keep one set of series, so nothing of the first can reach the second.
 */
export function runAfter(config: GatesConfig, previous: "rollback" | "promotion", runs: number, seed: number): FalseAlarms {
  const results: RolloutSimulationResult[] = [];
  const bad = model({ costMedianUsd: 0.08, loopRate: 0.1, completionRate: 0.84 });
  const healthy = model();
  for (let r = 0; r < runs; r++) {
    const first =
      previous === "rollback"
        ? simulateRollout({ config, baseline: healthy, canary: bad, traffic: SESSIONS_PER_MINUTE, seed: seed + r })
        : simulateRollout({ config, baseline: healthy, canary: healthy, traffic: SESSIONS_PER_MINUTE, seed: seed + r, stages: [{ percent: 50, minDurationSeconds: 2 * 3600, minSessionsPerArm: 0 }, { percent: 100, minDurationSeconds: 0, minSessionsPerArm: 0 }] });
    if (previous === "rollback" && !first.firing) throw new Error("internal: the bad canary was not rolled back");
    results.push(simulateRollout({ config, baseline: healthy, canary: healthy, traffic: SESSIONS_PER_MINUTE, seed: seed + 50_000 + r, startMinute: first.minutes + 60 }));
  }
  return tally(results);
}

/** Every session routed by a tenant id (a routing key many sessions share): the gates must stay undecided, never fire. */
export function runRoutingKey(config: GatesConfig, runs: number, seed: number): FalseAlarms {
  const traffic: Traffic = { perMinute: () => SESSIONS_PER_MINUTE, tenants: { shares: tenantShares, routeByTenant: true } };
  const m = model({ tenantCostSigma: 1 });
  const stages: Stage[] = [{ percent: 25, minDurationSeconds: 24 * 3600, minSessionsPerArm: 0 }, { percent: 100, minDurationSeconds: 0, minSessionsPerArm: 0 }];
  const results = Array.from({ length: runs }, (_, r) => simulateRollout({ config, baseline: m, canary: m, traffic, seed: seed + r, stages, untilEnd: true, salt: seed + r }));
  return tally(results);
}

/** One gate alone with the canary exactly at its tolerance, through the plan: it may fail at most its share of alpha. */
export function runAtTolerance(config: GatesConfig, gate: string, runs: number, seed: number): FalseAlarms {
  const canary = model(AT_TOLERANCE[gate]);
  const results = Array.from({ length: runs }, (_, r) => simulateRollout({ config, baseline: model(), canary, traffic: SESSIONS_PER_MINUTE, seed: seed + r, gates: [gate] }));
  return tally(results);
}
