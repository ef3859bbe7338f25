import { decidingTime, sessionModel, simulateRollout, TYPICAL_AGENT, type Gate, type GatesConfig } from "@agent-canary/gate-rules";
import { gateMoments } from "./reference.ts";

/** When each gate first passes an identical canary through the medium plan, at a given traffic. */
export interface PassingTimes {
  runs: number;
  /** Hours from the start to the first passing, per gate, one per run that passed. */
  hours: Map<string, number[]>;
  /** Runs in which the gate passed while the canary was still at or below its passBeforePercent. */
  inTime: Map<string, number>;
}

export function timeToPass(config: GatesConfig, perMinute: number, runs: number, seed: number): PassingTimes {
  const out: PassingTimes = { runs, hours: new Map(), inTime: new Map() };
  const m = sessionModel();
  for (let r = 0; r < runs; r++) {
    const res = simulateRollout({ config, baseline: m, canary: m, traffic: perMinute, seed: seed + r, untilEnd: true });
    for (const gate of config.gates) {
      const passed = res.passed.get(gate.name);
      if (!passed) continue;
      out.hours.set(gate.name, [...(out.hours.get(gate.name) ?? []), passed.minute / 60]);
      if (gate.passBeforePercent !== undefined && passed.canaryPercent <= gate.passBeforePercent) out.inTime.set(gate.name, (out.inTime.get(gate.name) ?? 0) + 1);
    }
  }
  return out;
}

/** decidingTime for an identical canary at a constant percent of the given traffic, from the typical agent's moments. */
export function plannedHours(gate: Gate, perMinute: number, percent: number): number {
  const moments = gateMoments(gate, {});
  const observedShare = gate.kind === "judge_quality" ? TYPICAL_AGENT.scoredShare : 1;
  const traffic = { canaryPerHour: (perMinute * 60 * percent) / 100, baselinePerHour: (perMinute * 60 * (100 - percent)) / 100 };
  return decidingTime(gate, traffic, { ...moments, observedShare }, { outcome: "passing" }).hours;
}
