import { judgeGate, type Gate, type GateJudgement, type GatesConfig } from "../../src/index.js";
import type { Case } from "./cases.js";
import { FOR } from "./cases.js";
import type { PrometheusTwin, TwinRollout } from "./twin.js";

/** How long a gate sees sessions without a statistic, or a rollout without a random split, before its warning fires. */
export const BLIND_MINUTES = 30;

export interface Judged {
  rollout: TwinRollout;
  gates: Map<string, GateJudgement>;
}

export const keyOf = (r: TwinRollout): string => JSON.stringify(r.labels);

/** Labels without empty values, as Prometheus drops them. */
export const clean = (labels: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ""));

/** Split sessions per arm in the strata both arms share (rollout_group:agent_canary_sessions:shared). */
export function shared(r: TwinRollout): number | undefined {
  const both = r.strata.filter((s) => s.canary.sessions > 0 && s.baseline.sessions > 0);
  return both.length ? Math.min(both.reduce((a, s) => a + s.canary.sessions, 0), both.reduce((a, s) => a + s.baseline.sessions, 0)) : undefined;
}

/**
 * What every alert and verdict must be, minute by minute, by the evaluator's
 * twin of the rules: the gates' judgements of each rollout the rules see, and
 * the alert conditions held for their `for`.
 */
export class Expectations {
  private readonly judged = new Map<number, Map<string, Judged>>();

  constructor(
    readonly config: GatesConfig,
    readonly twin: PrometheusTwin,
  ) {}

  /** The twin's rollouts at minute t, each with every gate's judgement. */
  at(t: number): Map<string, Judged> {
    let out = this.judged.get(t);
    if (!out) {
      out = new Map(this.twin.at(t).map((rollout) => [keyOf(rollout), { rollout, gates: new Map(this.config.gates.map((g) => [g.name, judgeGate(g, rollout.strata, rollout.span)])) }]));
      this.judged.set(t, out);
    }
    return out;
  }

  /** A condition held at every evaluation from t - minutes to t (an alert's `for`). */
  held(minutes: number, t: number, key: string, condition: (m: number) => boolean): boolean {
    for (let m = t - minutes; m <= t; m++) if (m < 0 || !this.at(m).has(key) || !condition(m)) return false;
    return true;
  }

  failing(gate: Gate, key: string): (m: number) => boolean {
    return (m) => {
      const entry = this.at(m).get(key);
      return entry !== undefined && entry.gates.get(gate.name)?.verdict === "failing" && this.twin.live(entry.rollout, m);
    };
  }

  fires(gate: Gate, key: string, t: number): boolean {
    return this.held(FOR, t, key, this.failing(gate, key));
  }

  blind(gate: Gate, key: string): (m: number) => boolean {
    return (m) => {
      const entry = this.at(m).get(key);
      const j = entry?.gates.get(gate.name);
      if (!entry || !j) return false;
      const sessions = shared(entry.rollout);
      const waiting = j.samples.canary > 0 && (j.samples.canary < gate.minSamples || j.samples.baseline < gate.minSamples);
      return sessions !== undefined && sessions >= gate.minSamples && Number.isNaN(j.fail.statistic) && !waiting;
    };
  }

  blindFires(gate: Gate, key: string, t: number): boolean {
    return this.held(BLIND_MINUTES, t, key, this.blind(gate, key));
  }

  /** How a rollout with no random split was routed (the alert's assignment label), or undefined. */
  notComparable(key: string, m: number): string | undefined {
    const entry = this.at(m).get(key);
    if (!entry || shared(entry.rollout) !== undefined) return undefined;
    return Object.entries(entry.rollout.unsplit)
      .filter(([assignment]) => assignment !== "no_rollout")
      .sort((a, b) => b[1] - a[1])[0]?.[0];
  }

  notComparableFires(key: string, t: number): string | undefined {
    const assignment = this.notComparable(key, t);
    return assignment && this.held(BLIND_MINUTES, t, key, (m) => this.notComparable(key, m) === assignment) ? assignment : undefined;
  }

  /** The rollouts of one scenario (its deployment and environment). */
  rolloutsOf(c: Case, t: number): Judged[] {
    const env = c.scenario.labels ?? {};
    return [...this.at(t).values()].filter((e) => e.rollout.labels.deployment === c.scenario.deployment && this.config.environment.by.every((l) => (e.rollout.labels[l] ?? "") === (env[l] ?? "")));
  }

  firesFor(c: Case, gate: Gate, t: number): boolean {
    return this.rolloutsOf(c, t).some((e) => this.fires(gate, keyOf(e.rollout), t));
  }
}
