import { METRICS, prometheusName, RECEIVER_METRICS } from "@agent-canary/conventions";
import { ARM_FIELDS, ARM_SERIES, LIVE_PHASES, vectorToArm, type GatesConfig, type Stratum } from "../../src/index.js";
import type { CounterSeries } from "./scenario.js";

/**
 * What the generated recording rules compute, redone in TypeScript from the raw
 * counter series the way Prometheus 2.x evaluates them: increase() with its
 * extrapolation over [t − range, t], `sum by`, the `> 0` filter,
 * sum_over_time over [t − lookback, t], the carried rollout start and canary
 * version. The scenario tests compare promtool's results with this, and it with
 * the evaluator's own ledger.
 */

interface Parsed {
  name: string;
  labels: Record<string, string>;
  values: (number | undefined)[];
}

function parse(selector: string, values: (number | undefined)[]): Parsed {
  const open = selector.indexOf("{");
  const labels: Record<string, string> = {};
  for (const m of selector.slice(open + 1, -1).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1] ?? ""] = m[2] ?? "";
  return { name: selector.slice(0, open), labels, values };
}

/** A label matcher of the config, as Prometheus applies it (regexes anchored). */
function matches(labels: Record<string, string>, matcher: string): boolean {
  const m = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"(.*)"$/.exec(matcher);
  if (!m) throw new Error(`bad matcher ${matcher}`);
  const value = labels[m[1] ?? ""] ?? "";
  const re = () => new RegExp(`^(?:${m[3] ?? ""})$`);
  switch (m[2]) {
    case "=":
      return value === m[3];
    case "!=":
      return value !== m[3];
    case "=~":
      return re().test(value);
    default:
      return !re().test(value);
  }
}

/** Prometheus 2.x increase() (extrapolatedRate without the division by the range): samples [seconds, value] inside [t − range, t]. */
export function promIncrease(samples: [number, number][], t: number, rangeSeconds: number): number | undefined {
  if (samples.length < 2) return undefined;
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last) return undefined;
  let result = last[1] - first[1];
  let previous = 0;
  for (const [, v] of samples) {
    if (v < previous) result += previous;
    previous = v;
  }
  let toStart = first[0] - (t - rangeSeconds);
  const toEnd = t - last[0];
  const sampled = last[0] - first[0];
  const average = sampled / (samples.length - 1);
  if (result > 0 && first[1] >= 0) toStart = Math.min(toStart, sampled * (first[1] / result));
  const threshold = average * 1.1;
  let interval = sampled;
  interval += toStart < threshold ? toStart : average / 2;
  interval += toEnd < threshold ? toEnd : average / 2;
  return result * (interval / sampled);
}

export interface TwinRollout {
  /** by labels, deployment and rollout_id, as the recorded series carry them. */
  labels: Record<string, string>;
  strata: Stratum[];
  span: number;
  canaryHash: string | undefined;
  /** Sessions in the look-back not split at random, by assignment. */
  unsplit: Record<string, number>;
}

const SPLIT = "split";

/** A group's increments in time order: [minute, value], only those above 0. */
type Track = [number, number][];

export class PrometheusTwin {
  private readonly raw: Parsed[];
  private readonly info: Parsed[];
  /** Group key → increments, as the :increment rules record them. */
  private readonly tracks = new Map<string, Track>();
  /** Rollout key → its groups (strata fields and assignments). */
  private readonly groupsOf = new Map<string, Set<string>>();
  private readonly starts: Map<string, number>[] = [];
  private readonly versions: Map<string, string>[] = [];
  private readonly cache = new Map<number, TwinRollout[]>();

  constructor(
    private readonly config: GatesConfig,
    series: CounterSeries,
    readonly minutes: number,
  ) {
    const deployment = new RegExp(`^(?:${config.deployments.map((d) => d.replace(/[.]/g, "\\.")).join("|")})$`);
    const all = [...series].map(([selector, values]) => parse(selector, values));
    this.raw = all.filter((p) => deployment.test(p.labels.deployment ?? "") && config.environment.matchers.every((m) => matches(p.labels, m)));
    this.info = all.filter((p) => p.name === RECEIVER_METRICS.rolloutInfo);
    for (let t = 0; t <= minutes; t++) {
      this.increment(t);
      this.carry(t);
    }
  }

  private get window(): number {
    return this.config.lookbackSeconds / 60;
  }

  private rolloutKey(labels: Record<string, string>): string {
    return JSON.stringify([...this.config.environment.by.map((l) => labels[l] ?? ""), labels.deployment ?? "", labels.rollout_id ?? ""]);
  }

  /** The stratum group a raw series' increment is summed into, or undefined when no stratum rule reads it. */
  private groupOf(p: Parsed): string | undefined {
    const a = ARM_SERIES.find((s) => prometheusName(METRICS[s.metric], this.config.export) === p.name && (!s.label || p.labels[s.label.name] === s.label.value));
    if (!a || p.labels.assignment !== SPLIT) return undefined;
    return JSON.stringify(["stratum", p.labels.canary_percent ?? "", p.labels.version_group ?? "", a.field]);
  }

  private samples(p: Parsed, t: number): [number, number][] {
    const out: [number, number][] = [];
    for (let m = Math.max(0, Math.ceil(t - this.config.rateRangeSeconds / 60)); m <= t; m++) {
      const v = p.values[m];
      if (v !== undefined) out.push([m * 60, v]);
    }
    return out;
  }

  /** A series has a sample within Prometheus' 5-minute lookback at t. */
  private present(p: Parsed, t: number): boolean {
    for (let m = t; m >= 0 && m > t - 5; m--) if (p.values[m] !== undefined) return true;
    return false;
  }

  private increment(t: number): void {
    const sums = new Map<string, { rollout: string; value: number }>();
    const sessionsName = prometheusName(METRICS.sessions, this.config.export);
    const add = (rollout: string, group: string, value: number) => {
      const key = `${rollout}${group}`;
      const entry = sums.get(key) ?? { rollout, value: 0 };
      entry.value += value;
      sums.set(key, entry);
    };
    for (const p of this.raw) {
      const increase = promIncrease(this.samples(p, t), t * 60, this.config.rateRangeSeconds);
      if (increase === undefined) continue;
      const rollout = this.rolloutKey(p.labels);
      const group = this.groupOf(p);
      if (group) add(rollout, group, increase);
      if (p.name === sessionsName && (p.labels.rollout_id ?? "") !== "") add(rollout, JSON.stringify(["assignment", p.labels.assignment ?? ""]), increase);
    }
    // sum by (...) (increase(...)) * interval/range, as the rule writes it: the factor after the sum.
    const factor = this.config.evaluationSeconds / this.config.rateRangeSeconds;
    for (const [key, entry] of sums) {
      const { rollout } = entry;
      const value = entry.value * factor;
      if (!(value > 0)) continue;
      let track = this.tracks.get(key);
      if (!track) this.tracks.set(key, (track = []));
      track.push([t, value]);
      let groups = this.groupsOf.get(rollout);
      if (!groups) this.groupsOf.set(rollout, (groups = new Set()));
      groups.add(key.slice(rollout.length));
    }
  }

  /**
   * The increments recorded at minute t, labelled as the :increment rules label
   * them (the environment's by labels, deployment, rollout_id, canary_percent,
   * version_group and outcome or quantity), with the ARM_SERIES entry they count.
   */
  incrementsAt(t: number): { labels: Record<string, string>; metric: string; value: number }[] {
    const out: { labels: Record<string, string>; metric: string; value: number }[] = [];
    for (const [key, track] of this.tracks) {
      const entry = track.find(([m]) => m === t);
      if (!entry) continue;
      const rolloutEnd = key.indexOf("]") + 1;
      const parts = JSON.parse(key.slice(0, rolloutEnd)) as string[];
      const group = JSON.parse(key.slice(rolloutEnd)) as (string | number)[];
      if (group[0] !== "stratum") continue;
      const series = ARM_SERIES.find((a) => a.field === group[3]);
      if (!series) continue;
      const labels: Record<string, string> = { deployment: parts.at(-2) ?? "", rollout_id: parts.at(-1) ?? "", canary_percent: String(group[1]), version_group: String(group[2]) };
      this.config.environment.by.forEach((l, i) => (labels[l] = parts[i] ?? ""));
      if (series.label) labels[series.label.name] = series.label.value;
      out.push({ labels, metric: series.metric, value: entry[1] });
    }
    return out;
  }

  /** sum_over_time over [t − lookback, t], adding in time order; undefined without samples. */
  private lookback(rollout: string, group: string, t: number): number | undefined {
    let total: number | undefined;
    for (const [m, v] of this.tracks.get(`${rollout}${group}`) ?? []) if (m >= t - this.window && m <= t) total = (total ?? 0) + v;
    return total;
  }

  private activeRollouts(t: number): string[] {
    return [...this.groupsOf].filter(([rollout, groups]) => [...groups].some((g) => g.startsWith('["assignment"') && this.lookback(rollout, g, t) !== undefined)).map(([r]) => r);
  }

  /** The start and the canary version, each carried from the last evaluation within the look-back. */
  private carry(t: number): void {
    const starts = new Map<string, number>();
    const versions = new Map<string, string>();
    for (const rollout of this.activeRollouts(t)) {
      let start: number | undefined;
      let version: string | undefined;
      for (let m = t - 1; m >= Math.max(0, t - 1 - this.window) && (start === undefined || version === undefined); m--) {
        start ??= this.starts[m]?.get(rollout);
        version ??= this.versions[m]?.get(rollout);
      }
      starts.set(rollout, start ?? t * 60);
      const sessions = prometheusName(METRICS.sessions, this.config.export);
      version ??= this.raw.find((p) => p.name === sessions && p.labels.version_group === "canary" && p.labels.assignment === SPLIT && this.rolloutKey(p.labels) === rollout && this.present(p, t))?.labels.version_hash;
      if (version) versions.set(rollout, version);
    }
    this.starts.push(starts);
    this.versions.push(versions);
  }

  /** Every rollout the rules see at minute t, with its strata as the gates read them. */
  at(t: number): TwinRollout[] {
    const cached = this.cache.get(t);
    if (cached) return cached;
    const out: TwinRollout[] = [];
    for (const rollout of this.activeRollouts(t)) {
      const parts = JSON.parse(rollout) as string[];
      const labels: Record<string, string> = { deployment: parts.at(-2) ?? "", rollout_id: parts.at(-1) ?? "" };
      this.config.environment.by.forEach((l, i) => (labels[l] = parts[i] ?? ""));
      const arms = new Map<string, { canary: Float64Array; baseline: Float64Array }>();
      const unsplit: Record<string, number> = {};
      for (const group of this.groupsOf.get(rollout) ?? []) {
        const value = this.lookback(rollout, group, t);
        if (value === undefined) continue;
        const g = JSON.parse(group) as [string, string, "canary" | "baseline", number] | [string, string];
        if (g[0] === "assignment") {
          if (g[1] !== SPLIT) unsplit[g[1]] = value;
          continue;
        }
        const [, percent, arm, field] = g as [string, string, "canary" | "baseline", number];
        let stratum = arms.get(percent);
        if (!stratum) arms.set(percent, (stratum = { canary: new Float64Array(ARM_FIELDS), baseline: new Float64Array(ARM_FIELDS) }));
        stratum[arm][field] = value;
      }
      const strata: Stratum[] = [...arms].map(([canaryPercent, s]) => {
        for (const v of [s.canary, s.baseline]) v[0] = ARM_SERIES.filter((a) => a.metric === "sessions").reduce((sum, a) => sum + (v[a.field] ?? 0), 0);
        return { canaryPercent, canary: vectorToArm(s.canary), baseline: vectorToArm(s.baseline) };
      });
      const start = this.starts[t]?.get(rollout) ?? t * 60;
      out.push({ labels, strata, span: Math.floor((t * 60 - start) / this.config.lookbackSeconds) + 1, canaryHash: this.versions[t]?.get(rollout), unsplit });
    }
    this.cache.set(t, out);
    return out;
  }

  /** Whether the receiver's info series lets a rollout's failing gates fire at t (they fire when it is absent). */
  live(rollout: TwinRollout, t: number): boolean {
    const env = (p: Parsed) => this.config.environment.by.every((l) => (p.labels[l] ?? "") === (rollout.labels[l] ?? ""));
    const present = this.info.filter((p) => p.labels.deployment === rollout.labels.deployment && env(p) && this.present(p, t));
    if (present.length === 0) return true;
    return present.some((p) => p.labels.rollout_id === rollout.labels.rollout_id && (LIVE_PHASES as readonly string[]).includes(p.labels.phase ?? ""));
  }
}
