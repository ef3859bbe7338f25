import { GATED_ASSIGNMENT, METRICS, prometheusName, type GateQuantity } from "@agent-canary/conventions";
import type { GatesConfig } from "../config/resolve.js";
import { KIND_SPECS } from "../gates/kinds.js";
import { RECORDED } from "./names.js";
import type { RecordingRule } from "./rules.js";
import { by, num, on, selector } from "./selectors.js";

/** The input layer's rule group: it runs before every gate group. */
export const INPUT_GROUP = "agent-canary-gate-inputs";

const SPLIT = `assignment="${GATED_ASSIGNMENT}"`;

/** An input the gates read: a raw counter and the extra label its increments keep. */
interface InputFamily {
  metric: string;
  increment: string;
  lookback: string;
  /** outcome or quantity, kept apart in the increments. */
  keep?: "outcome" | "quantity";
  /** More matchers on the raw series (the quantities gates read). */
  extra?: string;
}

function quantitiesRead(config: GatesConfig): GateQuantity[] {
  const read = new Set<GateQuantity>();
  for (const gate of config.gates) {
    const spec = KIND_SPECS[gate.kind];
    if (spec.family === "mean") read.add(spec.quantity);
  }
  return [...read].sort();
}

function families(config: GatesConfig): InputFamily[] {
  const name = (key: keyof typeof METRICS) => prometheusName(METRICS[key], config.export);
  const counters = new Set(config.gates.map((g) => KIND_SPECS[g.kind]).map((s) => (s.family === "rate" && "metric" in s.events ? s.events.metric : undefined)));
  const out: InputFamily[] = [{ metric: name("sessions"), increment: RECORDED.sessionsIncrement, lookback: RECORDED.sessionsLookback, keep: "outcome" }];
  if (counters.has("loopingSessions")) out.push({ metric: name("loopingSessions"), increment: RECORDED.loopingIncrement, lookback: RECORDED.loopingLookback });
  if (counters.has("unsafeSessions")) out.push({ metric: name("unsafeSessions"), increment: RECORDED.unsafeIncrement, lookback: RECORDED.unsafeLookback });
  const quantities = quantitiesRead(config);
  if (quantities.length) {
    const extra = `quantity=~"${quantities.join("|")}"`;
    out.push(
      { metric: name("gateObservations"), increment: RECORDED.observationsIncrement, lookback: RECORDED.observationsLookback, keep: "quantity", extra },
      { metric: name("gateValue"), increment: RECORDED.valueIncrement, lookback: RECORDED.valueLookback, keep: "quantity", extra },
      { metric: name("gateValueSquared"), increment: RECORDED.valueSquaredIncrement, lookback: RECORDED.valueSquaredLookback, keep: "quantity", extra },
    );
  }
  return out;
}

/**
 * What ended per evaluation interval, summed over pods: increase over the rate
 * range × interval / range. Summed over consecutive evaluations this is the
 * counter's increase (exactly, when the scrape and the evaluation are aligned);
 * only what grew is recorded, so idle strata and finished rollouts cost nothing
 * to sum. increase() rather than rate(): on a series younger than the range,
 * MetricsQL's rate() divides by the time the series has existed, not the range,
 * which would count a new stratum's first minutes several times over in
 * VictoriaMetrics (vmalert-rules.test.ts); both engines agree on increase().
 */
function increment(config: GatesConfig, metric: string, labels: string[], ...matchers: string[]): string {
  return `sum ${by(config, ...labels)} (increase(${metric}${selector(config, ...matchers)}[${config.rateRange}])) * ${num(config.evaluationSeconds / config.rateRangeSeconds)} > 0`;
}

/** The sum of the increments over the look-back: the rollout so far, or its last `lookback` once it is older. */
const lookback = (config: GatesConfig, record: string): string => `sum_over_time(${record}[${config.lookback}])`;

function familyRules(config: GatesConfig, f: InputFamily): RecordingRule[] {
  const labels = ["canary_percent", "version_group", ...(f.keep ? [f.keep] : [])];
  return [
    { record: f.increment, expr: increment(config, f.metric, labels, SPLIT, ...(f.extra ? [f.extra] : [])) },
    { record: f.lookback, expr: lookback(config, f.increment) },
  ];
}

/** Split sessions per arm, over the strata both arms share. */
function sharedSessions(config: GatesConfig): string {
  const arm = (group?: string) => `sum without (outcome) (${RECORDED.sessionsLookback}${group ? `{version_group="${group}"}` : ""})`;
  return `sum ${by(config, "version_group")} (\n  ${arm()}\n  and ignoring (version_group) ${arm("canary")}\n  and ignoring (version_group) ${arm("baseline")}\n)`;
}

/**
 * When the gates first saw the rollout, carried forward by reading the rule's own
 * previous value: PromQL cannot take a range as long as a rollout may last, but
 * each evaluation can pass the start on. It lapses when the rollout has had no
 * sessions for a whole look-back.
 */
function rolloutStart(config: GatesConfig): string {
  const active = `sum ${by(config)} (${RECORDED.assignmentLookback})`;
  return `last_over_time(${RECORDED.rolloutStart}[${config.lookback}] offset ${config.evaluationInterval})\n  and ${on(config)} ${active}\nor\ntime() + 0 * ${active}`;
}

/**
 * The canary's version hash per rollout, for alert labels: carried forward like
 * the start, so a scrape outage does not change an alert's labels (which would
 * end its episode and start a new one); one per rollout, so the alert's join
 * can never fail on two.
 */
function canaryVersion(config: GatesConfig): string {
  const sessions = prometheusName(METRICS.sessions, config.export);
  const active = `sum ${by(config)} (${RECORDED.assignmentLookback})`;
  const carried = `last_over_time(${RECORDED.canaryVersion}[${config.lookback}] offset ${config.evaluationInterval}) and ${on(config)} ${active}`;
  const seen = `count ${by(config, "version_hash")} (${sessions}${selector(config, SPLIT, 'version_group="canary"')}) * 0 + 1`;
  return `topk ${by(config)} (1,
  ${carried}
  or
  ${seen}
)`;
}

/** The input layer: increments, look-back sums, rollout start and span, shared sessions, canary version. */
export function inputRules(config: GatesConfig): RecordingRule[] {
  const sessions = prometheusName(METRICS.sessions, config.export);
  return [
    ...families(config).flatMap((f) => familyRules(config, f)),
    // Sessions routed with no rollout (no store, no canary) carry no rollout_id: they belong to none.
    { record: RECORDED.assignmentIncrement, expr: increment(config, sessions, ["assignment"], 'rollout_id!=""') },
    { record: RECORDED.assignmentLookback, expr: lookback(config, RECORDED.assignmentIncrement) },
    { record: RECORDED.sharedSessions, expr: sharedSessions(config) },
    { record: RECORDED.rolloutStart, expr: rolloutStart(config) },
    { record: RECORDED.rolloutSpan, expr: `floor((time() - ${RECORDED.rolloutStart}) / ${num(config.lookbackSeconds)}) + 1` },
    { record: RECORDED.canaryVersion, expr: canaryVersion(config) },
  ];
}
