// The agents' raw counters for one instant of the in-process rule evaluator
// (promql-subset.ts), built from sessions: each stratum arm of each pod exports
// every gate-input series (from 0, as the agents create them), and the value a
// series holds is its increase over the rate range, which is what the
// evaluator's increase() reads. recordingRules() run once over these give each
// look-back sum equal to one evaluation's increment: increase × interval / range.
import { GATED_ASSIGNMENT, METRICS, prometheusName, type Assignment, type VersionGroup } from "@agent-canary/conventions";
import { addToVector, ARM_FIELDS, ARM_SERIES, recordingRules, vectorToArm, type GatesConfig, type SessionRecord, type Stratum } from "../../src/index.js";
import { evaluatePromql, storeOf, type Labels, type Sample, type Series } from "./promql-subset.js";

/** One stratum arm of one rollout, as the agents label its series (pods are added per series). */
export interface RawArm {
  /** The environment's `by` labels and matchers, deployment and rollout_id. */
  rollout: Labels;
  percent: string;
  group: VersionGroup;
  versionHash: string;
  assignment?: Assignment;
  /** The sessions that ended in the arm, spread over pods in turn. */
  sessions: readonly SessionRecord[];
  pods: number;
}

/** The arm's sessions summed per pod, as the counters of each pod hold them. */
function podVectors(arm: RawArm): Float64Array[] {
  const pods = Array.from({ length: arm.pods }, () => new Float64Array(ARM_FIELDS));
  arm.sessions.forEach((s, i) => addToVector(pods[i % arm.pods] as Float64Array, s));
  return pods;
}

/** The raw series of the arms, each holding its increase over the rate range (interval × `steps`). */
export function rawCounters(config: GatesConfig, arms: readonly RawArm[], steps: number): Series[] {
  return arms.flatMap((arm) =>
    podVectors(arm).flatMap((v, pod) => {
      const labels = { ...arm.rollout, canary_percent: arm.percent, version_group: arm.group, version_hash: arm.versionHash, assignment: arm.assignment ?? GATED_ASSIGNMENT, instance: `pod-${pod}` };
      return ARM_SERIES.map((a): Series => {
        const extra = a.label ? { [a.label.name]: a.label.value } : {};
        return [prometheusName(METRICS[a.metric], config.export), { ...labels, ...extra }, (v[a.field] ?? 0) * steps];
      });
    }),
  );
}

/** The strata a gate judges, from the split arms of one rollout (what judgeGate reads). */
export function strataOf(arms: readonly RawArm[]): Stratum[] {
  const percents = [...new Set(arms.map((a) => a.percent))];
  const total = (percent: string, group: VersionGroup) => {
    const v = new Float64Array(ARM_FIELDS);
    for (const arm of arms.filter((a) => a.percent === percent && a.group === group)) for (const s of arm.sessions) addToVector(v, s);
    return vectorToArm(v);
  };
  return percents.map((p) => ({ canaryPercent: p, canary: total(p, "canary"), baseline: total(p, "baseline") }));
}

/** Runs every recording group in order over the raw series at `time`, as one evaluation of each group. */
export function evaluateRecordingRules(config: GatesConfig, raw: readonly Series[], time: number): Map<string, Sample[]> {
  const store = storeOf(raw);
  for (const group of recordingRules(config).groups) {
    for (const rule of group.rules) {
      const value = evaluatePromql(rule.expr, store, time);
      if (value.kind !== "vector") throw new Error(`${group.name}: ${rule.record} is a scalar: a recording rule must give a vector`);
      const recorded = value.samples.map((s) => ({ labels: { ...s.labels, ...rule.labels }, value: s.value }));
      store.set(rule.record, [...(store.get(rule.record) ?? []), ...recorded]);
    }
  }
  return store;
}
