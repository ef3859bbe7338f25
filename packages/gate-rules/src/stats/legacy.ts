import type { Gate, GatesConfig } from "../config/resolve.js";
import { strataFromSessions, type SessionRecord, type Stratum } from "./arms.js";
import { judgeGates, type GateJudgement } from "./judge.js";

/**
 * The evaluator API the CLI demo was written against (issue 10 replaced it by
 * `strataFromSessions` and `judgeGates`). Kept only until the demo moves out of
 * the CLI package and is adapted; do not use it in new code.
 * @deprecated use strataFromSessions and judgeGates.
 */
export type BucketBoundaries = Partial<Record<"cost" | "turns" | "duration" | "quality", readonly number[]>>;

/** @deprecated "pass" here meant "not failing"; judgeGates says passing only when the canary is shown not worse. */
export type Verdict = "pass" | "fail" | "insufficient_data";

/** @deprecated see GateJudgement. */
export interface GateResult {
  gate: string;
  kind: Gate["kind"];
  action: Gate["action"];
  severity: Gate["severity"];
  verdict: Verdict;
  comparison: Gate["comparison"];
  value: number;
  threshold: number;
  estimates: { canary: number; baseline: number };
  statistic: number;
  boundary: number;
  information: number;
  samples: { canary: number; baseline: number };
  minSamples: number;
  reason: string;
}

/** @deprecated use strataFromSessions; the bucket boundaries are ignored (gates no longer read histograms). */
export function armsFromSessions(records: Iterable<SessionRecord>, _boundaries: BucketBoundaries = {}): Stratum[] {
  return strataFromSessions(records);
}

function legacy(j: GateJudgement): GateResult {
  const verdict: Verdict = j.verdict === "failing" ? "fail" : Number.isNaN(j.fail.statistic) ? "insufficient_data" : "pass";
  return { ...j, verdict, statistic: j.fail.statistic, boundary: j.fail.boundary };
}

/** @deprecated use judgeGates. */
export function evaluateGates(config: GatesConfig, strata: readonly Stratum[] | ((gate: Gate) => readonly Stratum[])): GateResult[] {
  return judgeGates(config, strata).map(legacy);
}
