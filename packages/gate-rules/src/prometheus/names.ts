import { METRICS, prometheusName, type ExportMode } from "@agent-canary/conventions";
import type { Gate } from "../config/resolve.js";
import { KIND_SPECS } from "../gates/kinds.js";

/** Names of the recorded series; `level:metric:operations`, one series per gate label. */
export const RECORDED = {
  samples: "deployment_version_group:agent_canary_gate_samples:increase",
  events: "deployment_version_group:agent_canary_gate_events:increase",
  sum: "deployment_version_group:agent_canary_gate_sum:increase",
  sumSquares: "deployment_version_group:agent_canary_gate_sum_squares:increase",
  estimate: "deployment_version_group:agent_canary_gate_estimate:window",
  variance: "deployment_version_group:agent_canary_gate_variance:window",
  p95: "deployment_version_group:agent_canary_gate_p95:histogram_quantile",
  value: "deployment:agent_canary_gate_value:window",
  p95Ratio: "deployment:agent_canary_gate_p95:ratio",
  information: "deployment:agent_canary_gate_information:sessions",
  statistic: "deployment:agent_canary_gate_statistic:z",
  boundary: "deployment:agent_canary_gate_boundary:z",
  threshold: "agent_canary:gate_threshold:constant",
} as const;

/** The raw series a gate reads, under the names the chosen export path produces. */
export interface GateSources {
  /** Counter whose increase is the number of samples per arm. */
  samples: string;
  /** Rate gates: the events counter and an optional outcome matcher. */
  events?: { metric: string; outcomes?: readonly string[] };
  /** Mean gates: histogram base name and squares counter. */
  histogram?: string;
  squares?: string;
}

export function gateSources(gate: Gate, mode: ExportMode): GateSources {
  const spec = KIND_SPECS[gate.kind];
  const sessions = prometheusName(METRICS.sessions, mode);
  if (spec.family === "rate") {
    if ("metric" in spec.events) return { samples: sessions, events: { metric: prometheusName(METRICS[spec.events.metric], mode) } };
    return { samples: sessions, events: { metric: sessions, outcomes: gate.outcomes ?? spec.events.outcomes } };
  }
  const histogram = prometheusName(METRICS[spec.histogram], mode);
  return { samples: `${histogram}_count`, histogram, squares: prometheusName(METRICS[spec.squares], mode) };
}
