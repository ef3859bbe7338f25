import { sessionModel, simulateRollout, type GatesConfig } from "@agent-canary/gate-rules";
import { quantile, wilson } from "../lib/stats.ts";
import { CANARY_PERCENT, SESSIONS_PER_MINUTE, type Regression } from "./scenarios.ts";

export const DETECTION_HOURS = 48;

export interface Detection {
  /** Canary sessions at the first firing, one per run that fired. */
  sessions: number[];
  runs: number;
}

/** Canary sessions until `gate` fires, at a constant 5% for up to 48 h, evaluated every minute. */
export function detect(config: GatesConfig, regression: Regression, gate: string, runs: number, seed: number): Detection {
  const stages = [{ percent: CANARY_PERCENT, minDurationSeconds: DETECTION_HOURS * 3600, minSessionsPerArm: 0 }];
  const baseline = sessionModel(regression.both ?? {});
  const canary = sessionModel({ ...regression.both, ...regression.canary });
  const sessions: number[] = [];
  for (let r = 0; r < runs; r++) {
    const res = simulateRollout({ config, baseline, canary, traffic: SESSIONS_PER_MINUTE, seed: seed + r, stages, gates: [gate] });
    if (res.firing) sessions.push(res.firing.canarySessions);
  }
  return { sessions, runs };
}

export function describeDetection(d: Detection, reference: number, fmt: (x: number, digits?: number) => string, pct: (x: number, digits?: number) => string): string {
  if (d.sessions.length === 0) return `never in ${d.runs} runs`;
  const median = quantile(d.sessions, 0.5);
  const caught = wilson(d.sessions.length, d.runs);
  const ratio = Number.isFinite(reference) ? `; ${fmt(median / reference, 2)}x floor` : "";
  return `${fmt(median, 0)} (p90 ${fmt(quantile(d.sessions, 0.9), 0)}${ratio}; caught ${pct(caught.rate, 0)} of ${d.runs})`;
}
