import { z } from "zod";
import type { GatesConfig } from "../config/resolve.js";
import type { GateVerdict } from "../stats/judge.js";
import { RECORDED } from "./names.js";
import { quote } from "./selectors.js";

/** The recorded series a controller reads per gate and rollout, by what they mean. */
const READ = {
  verdict: RECORDED.verdict,
  value: RECORDED.value,
  failStatistic: RECORDED.statistic,
  failBoundary: RECORDED.boundary,
  passStatistic: RECORDED.passStatistic,
  passBoundary: RECORDED.passBoundary,
  canarySamples: RECORDED.canarySamples,
  baselineSamples: RECORDED.baselineSamples,
  information: RECORDED.information,
  span: RECORDED.span,
} as const;

type ReadField = keyof typeof READ;

/** Which rollout to read: its deployment, rollout_id and the environment's `by` labels, if any. */
export interface RolloutRef {
  deployment: string;
  rolloutId: string;
  /** Values of the config's `by` labels, e.g. {cluster: "eu"}. */
  environment?: Readonly<Record<string, string>>;
}

/**
 * One instant query that returns every gate series the controller needs for
 * one rollout (GET /api/v1/query?query=...): verdicts, values, evidence and
 * boundaries, sample counts and the look-back span.
 */
export function gateReadingQuery(config: GatesConfig, rollout: RolloutRef): string {
  // Recorded names hold only letters, '_' and ':', none of them special in a regex.
  const names = [...new Set(Object.values(READ))].join("|");
  const env = config.environment.by.map((l) => `${l}=${quote(rollout.environment?.[l] ?? "")}`);
  return `{${[`__name__=~"${names}"`, `deployment=${quote(rollout.deployment)}`, `rollout_id=${quote(rollout.rolloutId)}`, ...env].join(",")}}`;
}

/** The `data.result` of a Prometheus instant-vector query, as the HTTP API returns it. */
export const VectorResultSchema = z.array(
  z.object({
    metric: z.record(z.string(), z.string()),
    value: z.tuple([z.number(), z.string()]),
  }),
);

export interface GateReading {
  gate: string;
  verdict: GateVerdict;
  /** Why the gate is undecided, when it has no verdict series (the rules do not see the rollout yet). */
  reason: string;
  value: number;
  fail: { statistic: number; boundary: number };
  pass: { statistic: number; boundary: number };
  samples: { canary: number; baseline: number };
  information: number;
  span: number;
  /** The gate's passBeforePercent: the canary may not get more than this percent until the gate passes. */
  passBeforePercent: number | undefined;
}

const VERDICT_OF: Readonly<Record<string, GateVerdict>> = { "1": "failing", "0": "undecided", "-1": "passing" };

/**
 * Reads the answer to gateReadingQuery into one typed reading per gate of the
 * config (validated with zod; an unexpected reply throws naming the field). A
 * gate without a verdict series is undecided, with the reason; a statistic
 * below minSamples is NaN, as the rules leave it out.
 */
export function readGateVerdicts(config: GatesConfig, result: unknown): GateReading[] {
  const parsed = VectorResultSchema.safeParse(result);
  if (!parsed.success) {
    // A failed parse carries at least one issue: the first names the field.
    const [issue] = parsed.error.issues as [z.core.$ZodIssue, ...z.core.$ZodIssue[]];
    throw new Error(`unexpected Prometheus reply at data.result${issue.path.length ? `.${issue.path.join(".")}` : ""}: ${issue.message}`);
  }
  const fieldOf = new Map<string, ReadField>(Object.entries(READ).map(([field, name]) => [name, field as ReadField]));
  const byGate = new Map<string, Partial<Record<ReadField, number>>>();
  for (const { metric, value } of parsed.data) {
    const field = fieldOf.get(metric.__name__ ?? "");
    const gate = metric.gate;
    if (!field || !gate) continue;
    const values = byGate.get(gate) ?? {};
    values[field] = Number(value[1]);
    byGate.set(gate, values);
  }
  return config.gates.map((gate) => {
    const v = byGate.get(gate.name) ?? {};
    // No verdict series reads as "undefined", which VERDICT_OF does not hold either.
    const verdict = VERDICT_OF[String(v.verdict)];
    const num = (x: number | undefined) => x ?? Number.NaN;
    return {
      gate: gate.name,
      verdict: verdict ?? "undecided",
      reason: verdict === undefined ? "no verdict series for this rollout: the rules have not seen its sessions (or are not loaded)" : "",
      value: num(v.value),
      fail: { statistic: num(v.failStatistic), boundary: num(v.failBoundary) },
      pass: { statistic: num(v.passStatistic), boundary: num(v.passBoundary) },
      samples: { canary: num(v.canarySamples), baseline: num(v.baselineSamples) },
      information: num(v.information),
      span: num(v.span),
      passBeforePercent: gate.passBeforePercent,
    };
  });
}
