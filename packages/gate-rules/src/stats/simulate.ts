import type { Stage } from "@agent-canary/conventions";
import type { Gate, GatesConfig } from "../config/resolve.js";
import { addSession, emptyArm, type ArmPair, type ArmStats, type Moments } from "./arms.js";
import { evaluateGate, type GateResult } from "./evaluate.js";
import { poisson, seededRandom } from "./random.js";
import type { SessionSampler } from "./session-model.js";

export interface RolloutSimulationOptions {
  config: GatesConfig;
  baseline: SessionSampler;
  canary: SessionSampler;
  /** All sessions, both arms, per minute (Poisson arrivals). */
  sessionsPerMinute: number;
  seed: number;
  /** Defaults to the config's plan; each stage lasts its minDurationSeconds, and 100% ends the comparison. */
  stages?: readonly Stage[];
  /** Only these gates (by name); all by default. */
  gates?: readonly string[];
  /** Minutes between gate evaluations; default the config's evaluation interval, at least one minute. */
  evaluationMinutes?: number;
}

export interface GateFiring {
  gate: string;
  action: Gate["action"];
  minute: number;
  stage: number;
  canaryPercent: number;
  /** Canary sessions since the rollout started. */
  canarySessions: number;
  result: GateResult;
}

export interface RolloutSimulationResult {
  /** The first gate to fire (the rollout stops there), or undefined when the rollout reached 100%. */
  firing: GateFiring | undefined;
  minutes: number;
  canarySessions: number;
  baselineSessions: number;
}

function combineMoments(into: Moments, from: Moments, sign: 1 | -1): void {
  into.count += sign * from.count;
  into.sum += sign * from.sum;
  into.sumSquares += sign * from.sumSquares;
}

/** into += sign × from; how a rolling window takes a minute in and lets one go. */
function combine(into: ArmStats, from: ArmStats, sign: 1 | -1): void {
  into.sessions += sign * from.sessions;
  into.loopingSessions += sign * from.loopingSessions;
  into.unsafeSessions += sign * from.unsafeSessions;
  for (const [outcome, count] of Object.entries(from.outcomes) as [keyof ArmStats["outcomes"], number][]) {
    into.outcomes[outcome] = (into.outcomes[outcome] ?? 0) + sign * count;
  }
  combineMoments(into.cost, from.cost, sign);
  combineMoments(into.turns, from.turns, sign);
  combineMoments(into.duration, from.duration, sign);
  combineMoments(into.quality, from.quality, sign);
}

/** Running window sums per distinct window length. */
class RollingWindows {
  private readonly minutes: ArmPair[] = [];
  private readonly windows = new Map<number, ArmPair>();

  constructor(lengths: Iterable<number>) {
    for (const length of lengths) this.windows.set(length, { baseline: emptyArm(), canary: emptyArm() });
  }

  push(minute: ArmPair): void {
    this.minutes.push(minute);
    const now = this.minutes.length;
    for (const [length, window] of this.windows) {
      combine(window.baseline, minute.baseline, 1);
      combine(window.canary, minute.canary, 1);
      const leaving = this.minutes[now - 1 - length];
      if (leaving) {
        combine(window.baseline, leaving.baseline, -1);
        combine(window.canary, leaving.canary, -1);
      }
    }
  }

  get(length: number): ArmPair {
    const window = this.windows.get(length);
    if (!window) throw new Error(`internal: no rolling window of ${length} minutes`);
    return window;
  }
}

/** Minutes since the start, and the stage in force then; undefined once the plan reaches 100%. */
function* schedule(stages: readonly Stage[]): Generator<{ minute: number; stage: number; percent: number }> {
  let minute = 0;
  for (const [index, stage] of stages.entries()) {
    if (stage.percent >= 100) return;
    const end = minute + Math.max(1, Math.round(stage.minDurationSeconds / 60));
    for (; minute < end; minute++) yield { minute, stage: index, percent: stage.percent };
  }
}

/**
 * Runs one simulated rollout minute by minute: sessions arrive, are routed by
 * the stage's percent, the gates are evaluated over their rolling windows
 * like Prometheus would, and a gate fires once it has failed for its `for`.
 */
export function simulateRollout(options: RolloutSimulationOptions): RolloutSimulationResult {
  const { config } = options;
  const rng = seededRandom(options.seed);
  const gates = config.gates.filter((g) => !options.gates || options.gates.includes(g.name));
  if (gates.length === 0) throw new Error(`no gate named ${options.gates?.join(", ")} in the config`);
  const windows = new RollingWindows(new Set(gates.map((g) => Math.max(1, Math.round(g.windowSeconds / 60)))));
  const every = options.evaluationMinutes ?? Math.max(1, Math.round(config.evaluationSeconds / 60));
  const failing = new Map<string, number>();
  let canarySessions = 0;
  let baselineSessions = 0;
  let minutes = 0;
  for (const { minute, stage, percent } of schedule(options.stages ?? config.rollout.stages)) {
    const bin: ArmPair = { baseline: emptyArm(), canary: emptyArm() };
    const arrivals = poisson(rng, options.sessionsPerMinute);
    for (let i = 0; i < arrivals; i++) {
      const canary = rng() * 100 < percent;
      if (canary) canarySessions++;
      else baselineSessions++;
      addSession(canary ? bin.canary : bin.baseline, canary ? options.canary(rng, "canary") : options.baseline(rng, "baseline"));
    }
    windows.push(bin);
    minutes = minute + 1;
    if (minutes % every !== 0) continue;
    for (const gate of gates) {
      const result = evaluateGate(gate, windows.get(Math.max(1, Math.round(gate.windowSeconds / 60))));
      const streak = result.verdict === "fail" ? (failing.get(gate.name) ?? 0) + 1 : 0;
      failing.set(gate.name, streak);
      // Prometheus fires once the condition has held for `for`: that many more evaluations after the first.
      if (streak > Math.floor(gate.forSeconds / (every * 60))) {
        return {
          firing: { gate: gate.name, action: gate.action, minute: minutes, stage, canaryPercent: percent, canarySessions, result },
          minutes,
          canarySessions,
          baselineSessions,
        };
      }
    }
  }
  return { firing: undefined, minutes, canarySessions, baselineSessions };
}
