import { METRICS, prometheusName, SESSION_OUTCOMES, type ExportMode, type VersionGroup } from "@agent-canary/conventions";
import { addSession, emptyArm, seededRandom, type ArmPair, type ArmStats, type Moments, type SessionSampler } from "../../src/index.js";

/** Bucket bounds the test histograms use (p95 kinds read them). */
export const TEST_BUCKETS = { turns: [2, 4, 8, 16, 32, 64], duration: [10, 30, 60, 120, 300, 600], cost: [0.01, 0.05, 0.1, 0.5, 1], quality: [0.25, 0.5, 0.75, 1] };

export interface ArmTraffic {
  model: SessionSampler;
  /** Sessions per minute (fixed, so scenarios are exact). */
  perMinute: number;
}

export interface Scenario {
  deployment: string;
  minutes: number;
  seed: number;
  baseline: ArmTraffic;
  canary: ArmTraffic;
}

/** Cumulative counter values per minute, by series selector text. */
export type CounterSeries = Map<string, number[]>;

const HASH: Record<VersionGroup, string> = { baseline: "b0b0b0b0b0b0b0b0", canary: "c1c1c1c1c1c1c1c1" };

/** One ArmStats per minute per arm: what ended in that minute. */
export function minuteBins(s: Scenario): ArmPair[] {
  const rng = seededRandom(s.seed);
  const bins: ArmPair[] = [];
  for (let m = 0; m < s.minutes; m++) {
    const bin: ArmPair = { baseline: emptyArm(TEST_BUCKETS), canary: emptyArm(TEST_BUCKETS) };
    for (const group of ["baseline", "canary"] as const) {
      for (let i = 0; i < s[group].perMinute; i++) addSession(bin[group], s[group].model(rng, group));
    }
    bins.push(bin);
  }
  return bins;
}

function momentSeries(out: Map<string, number>, base: string, squares: string, labels: string, m: Moments): void {
  out.set(`${base}_count{${labels}}`, m.count);
  out.set(`${base}_sum{${labels}}`, m.sum);
  out.set(`${squares}{${labels}}`, m.sumSquares);
  for (const b of m.buckets ?? []) out.set(`${base}_bucket{${labels},le="${b.le === Number.POSITIVE_INFINITY ? "+Inf" : b.le}"}`, b.count);
}

/** The Prometheus series a cumulative arm state is exposed as (exporter names for the given mode). */
function armSeries(deployment: string, group: VersionGroup, arm: ArmStats, mode: ExportMode): Map<string, number> {
  const name = (key: keyof typeof METRICS) => prometheusName(METRICS[key], mode);
  const labels = `deployment="${deployment}",version_group="${group}",version_hash="${HASH[group]}"`;
  const out = new Map<string, number>();
  for (const outcome of SESSION_OUTCOMES) out.set(`${name("sessions")}{${labels},outcome="${outcome}"}`, arm.outcomes[outcome] ?? 0);
  out.set(`${name("loopingSessions")}{${labels}}`, arm.loopingSessions);
  out.set(`${name("unsafeSessions")}{${labels}}`, arm.unsafeSessions);
  momentSeries(out, name("sessionCost"), name("sessionCostSquared"), labels, arm.cost);
  momentSeries(out, name("sessionTurns"), name("sessionTurnsSquared"), labels, arm.turns);
  momentSeries(out, name("sessionDuration"), name("sessionDurationSquared"), labels, arm.duration);
  momentSeries(out, name("qualityScore"), name("qualityScoreSquared"), labels, arm.quality);
  return out;
}

function accumulate(into: ArmStats, from: ArmStats): void {
  into.sessions += from.sessions;
  into.loopingSessions += from.loopingSessions;
  into.unsafeSessions += from.unsafeSessions;
  for (const o of SESSION_OUTCOMES) into.outcomes[o] = (into.outcomes[o] ?? 0) + (from.outcomes[o] ?? 0);
  for (const f of ["cost", "turns", "duration", "quality"] as const) {
    into[f].count += from[f].count;
    into[f].sum += from[f].sum;
    into[f].sumSquares += from[f].sumSquares;
    from[f].buckets?.forEach((b, i) => {
      const target = into[f].buckets?.[i];
      if (target) target.count += b.count;
    });
  }
}

/** Counter values at minutes 0..minutes (value at minute m counts sessions ended in bins before m). */
export function counterSeries(s: Scenario, bins: ArmPair[], mode: ExportMode): CounterSeries {
  const series: CounterSeries = new Map();
  const running: ArmPair = { baseline: emptyArm(TEST_BUCKETS), canary: emptyArm(TEST_BUCKETS) };
  for (let m = 0; m <= bins.length; m++) {
    if (m > 0) {
      const bin = bins[m - 1];
      if (bin) for (const g of ["baseline", "canary"] as const) accumulate(running[g], bin[g]);
    }
    for (const g of ["baseline", "canary"] as const) {
      for (const [sel, value] of armSeries(s.deployment, g, running[g], mode)) {
        const list = series.get(sel) ?? [];
        list.push(value);
        series.set(sel, list);
      }
    }
  }
  return series;
}

/**
 * The arms a Prometheus 2.x `increase(x[W])` sees at minute t: samples at t−W..t
 * inclusive, so with one sample a minute and counters from 0 the increase is
 * exactly v(t) − v(t−W) with no extrapolation. Summed in the order Prometheus
 * sums, per arm.
 */
export function windowArms(bins: ArmPair[], t: number, windowMinutes: number): ArmPair {
  const arms: ArmPair = { baseline: emptyArm(TEST_BUCKETS), canary: emptyArm(TEST_BUCKETS) };
  for (let m = Math.max(0, t - windowMinutes); m < t; m++) {
    const bin = bins[m];
    if (bin) for (const g of ["baseline", "canary"] as const) accumulate(arms[g], bin[g]);
  }
  return arms;
}

/** promtool input_series entries. */
export function promtoolSeries(series: CounterSeries): { series: string; values: string }[] {
  return [...series].map(([sel, values]) => {
    const [name, rest] = [sel.slice(0, sel.indexOf("{")), sel.slice(sel.indexOf("{"))];
    return { series: `${name}${rest}`, values: values.map((v) => String(v)).join(" ") };
  });
}
