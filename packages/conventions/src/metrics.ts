/**
 * The metrics contract between the agent side (packages/instrumentation emits
 * these) and the ops side (packages/gate-rules queries them). One table, so a
 * rename breaks the build instead of silently breaking a gate.
 *
 * Labels are low-cardinality only: never a session id or free text.
 */

export type InstrumentKind = "counter" | "histogram" | "updown" | "gauge";

export interface MetricDef {
  /** OpenTelemetry instrument name. */
  readonly otelName: string;
  readonly kind: InstrumentKind;
  /** UCUM unit as given to OpenTelemetry. Units in braces are annotations and never become a suffix. */
  readonly unit: string;
  readonly description: string;
  /** Attribute keys as recorded (Prometheus label = key with dots replaced by underscores). */
  readonly labels: readonly string[];
}

/** Labels every agent-canary session metric carries. */
export const VERSION_LABELS = ["deployment", "version_group", "version_hash"] as const;

/**
 * Labels of the gate inputs (see strata.ts): the rollout a session was routed
 * under, the canary percent in force when it was routed, and how its group was
 * chosen. Gates compare only sessions of the current rollout that were split
 * at random, stratum by stratum, so earlier rollouts, pre-rollout history and
 * production-wide shifts never read as a difference between the versions.
 */
export const STRATUM_LABELS = ["rollout_id", "canary_percent", "assignment"] as const;

const V = VERSION_LABELS;
const G = [...VERSION_LABELS, ...STRATUM_LABELS] as const;

export const METRICS = {
  sessions: {
    otelName: "agent_canary.sessions",
    kind: "counter",
    unit: "{session}",
    description: "Sessions ended, by outcome and stratum; every outcome's series exists from 0 once its labels are known, so increase() counts the first session.",
    labels: [...G, "outcome"],
  },
  loopingSessions: {
    otelName: "agent_canary.looping_sessions",
    kind: "counter",
    unit: "{session}",
    description: "Sessions in which the loop detector tripped at least once (enforce or record-only), by stratum; exists from 0.",
    labels: [...G],
  },
  activeSessions: {
    otelName: "agent_canary.active_sessions",
    kind: "updown",
    unit: "{session}",
    description: "Sessions currently running.",
    labels: [...V],
  },
  sessionCost: {
    otelName: "agent_canary.session.cost",
    kind: "histogram",
    unit: "{USD}",
    description: "Cost of a session in US dollars, recorded at session end; sessions with an unpriced call, unknown usage or no LLM call observed are left out (see unpriced_calls, unobserved_sessions), so _count means sessions of known cost.",
    labels: [...V],
  },
  sessionTurns: {
    otelName: "agent_canary.session.turns",
    kind: "histogram",
    unit: "{turn}",
    description: "LLM calls (turns) per session, recorded at session end; sessions with no LLM call observed are left out (see unobserved_sessions).",
    labels: [...V],
  },
  sessionDuration: {
    otelName: "agent_canary.session.duration",
    kind: "histogram",
    unit: "s",
    description: "Wall-clock duration of a session in seconds.",
    labels: [...V, "outcome"],
  },
  loopTrips: {
    otelName: "agent_canary.loop_trips",
    kind: "counter",
    unit: "{trip}",
    description: "Loop detector trips.",
    labels: [...V],
  },
  toolCalls: {
    otelName: "agent_canary.tool_calls",
    kind: "counter",
    unit: "{call}",
    description: "Tool calls requested by the model, by tool name.",
    labels: [...V, "tool"],
  },
  qualityScore: {
    otelName: "agent_canary.quality.score",
    kind: "histogram",
    unit: "1",
    description: "Judge quality scores (0..1) recorded through recordQualityScore().",
    labels: [...V],
  },
  safetyViolations: {
    otelName: "agent_canary.safety.violations",
    kind: "counter",
    unit: "{violation}",
    description: "Safety violations recorded through recordSafetyViolation().",
    labels: [...V, "category"],
  },
  unsafeSessions: {
    otelName: "agent_canary.unsafe_sessions",
    kind: "counter",
    unit: "{session}",
    description: "Sessions with at least one safety violation, counted at session end, by stratum; exists from 0.",
    labels: [...G],
  },
  unobservedSessions: {
    otelName: "agent_canary.unobserved_sessions",
    kind: "counter",
    unit: "{session}",
    description: "Sessions in which no LLM call was observed: their cost and turns are unknown, not zero, and they are left out of those gate inputs. Exists from 0.",
    labels: [...G],
  },
  gateObservations: {
    otelName: "agent_canary.gate.observations",
    kind: "counter",
    unit: "{session}",
    description: "Gate input: sessions (quality: scores) whose value of `quantity` is known, by stratum. Exists from 0.",
    labels: [...G, "quantity"],
  },
  gateValue: {
    otelName: "agent_canary.gate.value",
    kind: "counter",
    unit: "{value}",
    description: "Gate input: the sum of the per-session values of `quantity` (see GATE_QUANTITIES for units), by stratum. Exists from 0.",
    labels: [...G, "quantity"],
  },
  gateValueSquared: {
    otelName: "agent_canary.gate.value_squared",
    kind: "counter",
    unit: "{value2}",
    description: "Gate input: the sum of the squared per-session values of `quantity`, so gates have each arm's variance. Exists from 0.",
    labels: [...G, "quantity"],
  },
  versionMismatches: {
    otelName: "agent_canary.version_mismatches",
    kind: "counter",
    unit: "{call}",
    description: "LLM calls whose observed model, system prompt or tools do not match the session's declared version.",
    labels: [...V],
  },
  routingAssignments: {
    otelName: "agent_canary.routing.assignments",
    kind: "counter",
    unit: "{session}",
    description: "New sessions assigned to a group.",
    labels: [...V],
  },
  routingFailures: {
    otelName: "agent_canary.routing.failures",
    kind: "counter",
    unit: "{session}",
    description: "Sessions sent to baseline because the rollout state could not be read or was invalid (fail closed).",
    labels: ["deployment", "reason"],
  },
  unpricedCalls: {
    otelName: "agent_canary.unpriced_calls",
    kind: "counter",
    unit: "{call}",
    description: "LLM calls whose model has no price: their cost is unknown, not zero.",
    labels: [...V, "model"],
  },
  instrumentationErrors: {
    otelName: "agent_canary.instrumentation.errors",
    kind: "counter",
    unit: "{error}",
    description: "Exceptions caught inside agent-canary; the agent's own call went on.",
    labels: ["component"],
  },
  // GenAI semantic conventions (client metrics), plus our version labels.
  tokenUsage: {
    otelName: "gen_ai.client.token.usage",
    kind: "histogram",
    unit: "{token}",
    description: "GenAI semconv: tokens used per LLM call, by gen_ai.token.type.",
    labels: [...V, "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model", "gen_ai.token.type"],
  },
  operationDuration: {
    otelName: "gen_ai.client.operation.duration",
    kind: "histogram",
    unit: "s",
    description: "GenAI semconv: duration of an LLM call in seconds.",
    labels: [...V, "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model", "error.type"],
  },
} as const satisfies Record<string, MetricDef>;

export type MetricKey = keyof typeof METRICS;

/** Metrics the rollout receiver exposes on its own /metrics (prom-client, Prometheus names as-is). */
export const RECEIVER_METRICS = {
  canaryPercent: "agent_canary_rollout_canary_percent",
  phase: "agent_canary_rollout_phase",
  stage: "agent_canary_rollout_stage",
  transitions: "agent_canary_rollout_transitions_total",
  /**
   * 1 per deployment with a rollout state, labelled deployment, rollout_id,
   * baseline_hash, canary_hash (empty without a canary) and phase: what the
   * gates' rollout_id means, for dashboards and for muting finished rollouts.
   */
  rolloutInfo: "agent_canary_rollout_info",
  rejected: "agent_canary_receiver_rejected_total",
  notifications: "agent_canary_receiver_notifications_total",
} as const;

/**
 * How the metrics reach Prometheus decides their names:
 * - "prometheus": the agent serves /metrics with @opentelemetry/exporter-prometheus,
 *   which adds `_total` to counters but no unit suffix.
 * - "otlp": metrics go over OTLP into Prometheus (or a collector), whose
 *   translation adds the unit suffix (`_seconds`) as well as `_total`.
 */
export type ExportMode = "prometheus" | "otlp";

const UNIT_SUFFIX: Record<string, string> = { s: "seconds", ms: "milliseconds", By: "bytes", "1": "ratio" };

function sanitise(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, "_");
}

/**
 * The Prometheus base name of a metric (before `_bucket` / `_sum` / `_count`).
 * Counters include `_total`.
 */
export function prometheusName(metric: MetricDef, mode: ExportMode): string {
  let name = sanitise(metric.otelName);
  if (mode === "otlp") {
    const suffix = UNIT_SUFFIX[metric.unit];
    // OTLP translation does not add "ratio" to non-gauges; it adds time and size units.
    if (suffix && suffix !== "ratio" && !name.endsWith(`_${suffix}`)) name = `${name}_${suffix}`;
  }
  if (metric.kind === "counter" && !name.endsWith("_total")) name = `${name}_total`;
  return name;
}

/** The Prometheus label name of an attribute key. */
export function prometheusLabel(attributeKey: string): string {
  return sanitise(attributeKey);
}
