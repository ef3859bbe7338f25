import { METRICS, prometheusName, RECEIVER_METRICS, type Assignment, type ExportMode, type VersionGroup } from "@agent-canary/conventions";
import { addToVector, ARM_FIELDS, ARM_SERIES, seededRandom, type SessionRecord, type SessionSampler, type SharedEffects } from "../../src/index.js";

/**
 * Synthetic agent traffic for promtool scenarios, labelled as the agents label
 * it: rollout_id, canary_percent (the percent when routed), assignment, the
 * version labels, the environment's labels and the pod (`instance`).
 */
export interface Phase {
  /** Minutes [from, to) of the scenario clock. */
  from: number;
  to: number;
  rolloutId: string;
  percent: number;
  /** Sessions ending per minute (an exact count, so scenarios are repeatable). */
  perMinute: number;
  baseline: SessionSampler;
  canary: SessionSampler;
  /** How sessions are routed: split (default) or e.g. routing_key (a shared key: never compared). */
  assignment?: Assignment;
  /** A tenant forced to one group by an override: this share of sessions, with its own behaviour. */
  override?: { share: number; group: VersionGroup; sampler: SessionSampler };
  /** What happens to every session at a minute (an incident, the daily cycle). */
  effects?: (minute: number) => SharedEffects | undefined;
  baselineHash?: string;
  canaryHash?: string;
}

export interface Scenario {
  deployment: string;
  /** Environment labels on every series, e.g. {cluster: "eu"}. */
  labels?: Readonly<Record<string, string>>;
  /** Pods the sessions are spread over (each exports its own series). */
  pods?: number;
  minutes: number;
  seed: number;
  phases: readonly Phase[];
  /** Minutes [from, to) without a scrape: a Prometheus outage. */
  gaps?: readonly (readonly [number, number])[];
  /** The receiver's agent_canary_rollout_info series: which rollout is current, in which phase. */
  info?: readonly { from: number; to?: number; rolloutId: string; phase: string }[];
}

/** Counter values at minutes 0..minutes (undefined: no sample), by series selector text. */
export type CounterSeries = Map<string, (number | undefined)[]>;

const hashOf = (p: Phase, group: VersionGroup): string => (group === "canary" ? (p.canaryHash ?? `c${p.rolloutId.slice(-7)}c0ffee0`.slice(0, 16).padEnd(16, "0")) : (p.baselineHash ?? "b0b0b0b0b0b0b0b0"));

interface SeriesKey {
  phase: Phase;
  group: VersionGroup;
  assignment: Assignment;
  pod: number;
}

const keyText = (k: SeriesKey): string => `${k.phase.rolloutId}|${k.phase.percent}|${k.group}|${k.assignment}|${k.pod}`;

/** A session of a scenario: when it ended and how the agent labelled it. */
export interface ScenarioSession {
  minute: number;
  phase: Phase;
  group: VersionGroup;
  assignment: Assignment;
  pod: number;
  record: SessionRecord;
}

/** Every session of a scenario, minute by minute, routed and labelled (the same sessions every time for a seed). */
export function scenarioSessions(s: Scenario): ScenarioSession[] {
  const rng = seededRandom(s.seed);
  const pods = s.pods ?? 1;
  const out: ScenarioSession[] = [];
  let pod = 0;
  for (let minute = 0; minute < s.minutes; minute++) {
    for (const phase of s.phases.filter((p) => p.from <= minute && minute < p.to)) {
      const effects = phase.effects?.(minute);
      for (let i = 0; i < phase.perMinute; i++) {
        const forced = phase.override && rng() < phase.override.share ? phase.override : undefined;
        const group: VersionGroup = forced ? forced.group : rng() * 100 < phase.percent ? "canary" : "baseline";
        const assignment: Assignment = forced ? "tenant_override" : (phase.assignment ?? "split");
        const sampler = forced ? forced.sampler : group === "canary" ? phase.canary : phase.baseline;
        out.push({ minute, phase, group, assignment, pod, record: sampler(rng, group, effects ? { effects } : {}) });
        pod = (pod + 1) % pods;
      }
    }
  }
  return out;
}

/** Per minute, per series key, the arm vector of the sessions that ended in that minute. */
function minuteBins(s: Scenario): { keys: Map<string, SeriesKey & { first: number }>; bins: Map<string, Float64Array>[] } {
  const pods = s.pods ?? 1;
  const keys = new Map<string, SeriesKey & { first: number }>();
  // The agent creates every series of a rollout at 0 when it learns of it: both groups, every percent, every pod.
  for (const phase of s.phases) {
    const assignments: Assignment[] = [phase.assignment ?? "split", ...(phase.override ? (["tenant_override"] as const) : [])];
    const first = Math.min(...s.phases.filter((p) => p.rolloutId === phase.rolloutId).map((p) => p.from));
    for (const group of ["baseline", "canary"] as const) {
      for (const assignment of assignments) {
        for (let pod = 0; pod < pods; pod++) {
          const key = { phase, group, assignment, pod };
          if (!keys.has(keyText(key))) keys.set(keyText(key), { ...key, first });
        }
      }
    }
  }
  const bins: Map<string, Float64Array>[] = Array.from({ length: s.minutes }, () => new Map());
  for (const session of scenarioSessions(s)) {
    const bin = bins[session.minute] as Map<string, Float64Array>;
    const text = keyText(session);
    let v = bin.get(text);
    if (!v) bin.set(text, (v = new Float64Array(ARM_FIELDS)));
    addToVector(v, session.record);
  }
  return { keys, bins };
}

function inGap(s: Scenario, minute: number): boolean {
  return (s.gaps ?? []).some(([from, to]) => from <= minute && minute < to);
}

/** The counter series of a scenario as Prometheus would scrape them once a minute (exporter names of `mode`). */
export function counterSeries(s: Scenario, mode: ExportMode): CounterSeries {
  const { keys, bins } = minuteBins(s);
  const series: CounterSeries = new Map();
  const env = Object.entries(s.labels ?? {}).map(([k, v]) => `${k}="${v}"`);
  for (const [text, key] of keys) {
    const running = new Float64Array(ARM_FIELDS);
    const labels = [
      `deployment="${s.deployment}"`,
      `version_group="${key.group}"`,
      `version_hash="${hashOf(key.phase, key.group)}"`,
      `rollout_id="${key.phase.rolloutId}"`,
      `canary_percent="${key.phase.percent}"`,
      `assignment="${key.assignment}"`,
      `instance="pod-${key.pod}"`,
      ...env,
    ];
    const values = ARM_SERIES.map(() => [] as (number | undefined)[]);
    for (let m = 0; m <= s.minutes; m++) {
      const bin = m > 0 ? bins[m - 1]?.get(text) : undefined;
      if (bin) for (let f = 0; f < ARM_FIELDS; f++) running[f] = (running[f] ?? 0) + (bin[f] ?? 0);
      const scraped = m >= key.first && !inGap(s, m);
      ARM_SERIES.forEach((a, i) => values[i]?.push(scraped ? (running[a.field] ?? 0) : undefined));
    }
    ARM_SERIES.forEach((a, i) => {
      const name = prometheusName(METRICS[a.metric], mode);
      const extra = a.label ? [`${a.label.name}="${a.label.value}"`] : [];
      series.set(`${name}{${[...labels, ...extra].join(",")}}`, values[i] ?? []);
    });
  }
  for (const info of s.info ?? []) {
    const phase = s.phases.find((p) => p.rolloutId === info.rolloutId);
    const labels = [`deployment="${s.deployment}"`, `rollout_id="${info.rolloutId}"`, `baseline_hash="${phase ? hashOf(phase, "baseline") : ""}"`, `canary_hash="${phase ? hashOf(phase, "canary") : ""}"`, `phase="${info.phase}"`, ...env];
    const values: (number | undefined)[] = [];
    for (let m = 0; m <= s.minutes; m++) values.push(m >= info.from && m < (info.to ?? Number.POSITIVE_INFINITY) && !inGap(s, m) ? 1 : undefined);
    series.set(`${RECEIVER_METRICS.rolloutInfo}{${labels.join(",")}}`, values);
  }
  return series;
}

/** promtool input_series entries: one value per minute, `_` where there was no scrape. */
export function promtoolSeries(series: CounterSeries): { series: string; values: string }[] {
  return [...series].map(([selector, values]) => ({ series: selector, values: values.map((v) => (v === undefined ? "_" : String(v))).join(" ") }));
}

/** The canary hash a scenario's rollout gets. */
export function canaryHashOf(s: Scenario, rolloutId: string): string | undefined {
  const phase = s.phases.find((p) => p.rolloutId === rolloutId);
  return phase ? hashOf(phase, "canary") : undefined;
}
