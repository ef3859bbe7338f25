import type { ArmField, NamedValue } from "../stats/formula/tree.js";

/**
 * Names of the recorded series, `level:metric:operation` as the monitoring
 * mixins name them. Levels: `rollout_stratum` = the environment's `by` labels,
 * deployment, rollout_id, canary_percent, version_group; `rollout_group` = the
 * same without canary_percent; `rollout` = by labels, deployment, rollout_id.
 * Gate series also carry `gate`.
 */
export const RECORDED = {
  // Inputs, shared by every gate: what ended per evaluation interval (rate × interval, over pods), and its sum over the look-back.
  sessionsIncrement: "rollout_stratum:agent_canary_sessions:increment",
  sessionsLookback: "rollout_stratum:agent_canary_sessions:lookback",
  loopingIncrement: "rollout_stratum:agent_canary_looping_sessions:increment",
  loopingLookback: "rollout_stratum:agent_canary_looping_sessions:lookback",
  unsafeIncrement: "rollout_stratum:agent_canary_unsafe_sessions:increment",
  unsafeLookback: "rollout_stratum:agent_canary_unsafe_sessions:lookback",
  observationsIncrement: "rollout_stratum:agent_canary_gate_observations:increment",
  observationsLookback: "rollout_stratum:agent_canary_gate_observations:lookback",
  valueIncrement: "rollout_stratum:agent_canary_gate_value:increment",
  valueLookback: "rollout_stratum:agent_canary_gate_value:lookback",
  valueSquaredIncrement: "rollout_stratum:agent_canary_gate_value_squared:increment",
  valueSquaredLookback: "rollout_stratum:agent_canary_gate_value_squared:lookback",
  /** Sessions of each rollout by `assignment` (split or not): what tells a rollout whose sessions cannot be compared. */
  assignmentIncrement: "rollout_assignment:agent_canary_sessions:increment",
  assignmentLookback: "rollout_assignment:agent_canary_sessions:lookback",
  /** Split sessions per arm in the strata both arms share. */
  sharedSessions: "rollout_group:agent_canary_sessions:shared",
  /** When the gates first saw the rollout (unix seconds), carried from evaluation to evaluation. */
  rolloutStart: "rollout:agent_canary_rollout_start:timestamp",
  /** 1 while the rollout is younger than the look-back, then 2, 3, ...: its share of the error budget. */
  rolloutSpan: "rollout:agent_canary_rollout_span:index",
  /** 1, labelled with the canary's version_hash. */
  canaryVersion: "rollout:agent_canary_canary_version:info",

  // Per gate and stratum: the arm totals the gate's formulas read.
  samples: "rollout_stratum:agent_canary_gate_samples:lookback",
  events: "rollout_stratum:agent_canary_gate_events:lookback",
  sum: "rollout_stratum:agent_canary_gate_sum:lookback",
  sumSquares: "rollout_stratum:agent_canary_gate_sum_squares:lookback",

  // Per gate: the formulas' named values and outputs.
  canarySamples: "rollout:agent_canary_gate_canary_samples:sum",
  baselineSamples: "rollout:agent_canary_gate_baseline_samples:sum",
  baselineWeight: "rollout:agent_canary_gate_baseline_weight:sum",
  canaryTotal: "rollout:agent_canary_gate_canary_total:sum",
  baselineTotal: "rollout:agent_canary_gate_baseline_total:sum",
  canaryWithin: "rollout:agent_canary_gate_canary_within:sum",
  baselineWithin: "rollout:agent_canary_gate_baseline_within:sum",
  strata: "rollout:agent_canary_gate_strata:count",
  expectedEvents: "rollout:agent_canary_gate_expected_events:sum",
  /** Mean and score tests: how far the canary is past the tolerance, and its standard error. */
  margin: "rollout:agent_canary_gate_margin:stratified",
  standardError: "rollout:agent_canary_gate_standard_error:stratified",
  /** Count test: ln of the gamma–Poisson mixture (an e-value), before the side is chosen. */
  logEvidence: "rollout:agent_canary_gate_log_evidence:mixture",
  span: "rollout:agent_canary_gate_span:index",
  /** The canary's estimate and the reweighted baseline's, `version_group` canary or baseline. */
  estimate: "rollout_group:agent_canary_gate_estimate:stratified",
  value: "rollout:agent_canary_gate_value:stratified",
  information: "rollout:agent_canary_gate_information:sessions",
  /** Evidence against the canary; absent below minSamples or when not finite. */
  statistic: "rollout:agent_canary_gate_statistic:fail",
  boundary: "rollout:agent_canary_gate_boundary:fail",
  /** Evidence for the canary (not worse than the tolerance). */
  passStatistic: "rollout:agent_canary_gate_statistic:pass",
  passBoundary: "rollout:agent_canary_gate_boundary:pass",
  /** 1 failing, 0 undecided, -1 passing: what the controller reads. */
  verdict: "rollout:agent_canary_gate_verdict:state",
  threshold: "agent_canary:gate_threshold:constant",
} as const;

/** The recorded series of each formula-level named value. */
export const NAMED_SERIES: Readonly<Record<NamedValue, string>> = {
  canarySamples: RECORDED.canarySamples,
  baselineSamples: RECORDED.baselineSamples,
  baselineWeight: RECORDED.baselineWeight,
  canaryTotal: RECORDED.canaryTotal,
  baselineTotal: RECORDED.baselineTotal,
  canaryWithin: RECORDED.canaryWithin,
  baselineWithin: RECORDED.baselineWithin,
  strata: RECORDED.strata,
  expectedEvents: RECORDED.expectedEvents,
  information: RECORDED.information,
  margin: RECORDED.margin,
  standardError: RECORDED.standardError,
  logEvidence: RECORDED.logEvidence,
};

/** The per-stratum series of each arm field. */
export const FIELD_SERIES: Readonly<Record<ArmField, string>> = {
  n: RECORDED.samples,
  x: RECORDED.events,
  s: RECORDED.sum,
  q: RECORDED.sumSquares,
};
