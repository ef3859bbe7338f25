import { SHADOW_METRICS, type MetricDef, type ShadowSource } from "@agent-canary/conventions";
import { metrics, type Attributes, type Counter, type Histogram } from "@opentelemetry/api";
import type { JudgeTrigger, JudgeVerdict } from "../compare/judge.js";
import type { SimilarityBand, SimilarityMethod } from "../compare/similarity.js";

export type RequestDecision = "shadowed" | "sampled_out" | "not_opted_in";
export type CandidateResult = "completed" | "error" | "timeout" | "dropped";

const METER_NAME = "@agent-canary/shadow";

function counter(def: MetricDef): Counter {
  return metrics.getMeter(METER_NAME).createCounter(def.otelName, { unit: def.unit, description: def.description });
}

/**
 * Shadow metrics, through the global OpenTelemetry API so they reach whatever
 * exporter register() (or the application) installed. Labels are the version
 * pair, the source (live traffic or a replay, never mixed on a dashboard) and
 * one closed-set label per instrument.
 */
export class ShadowMetrics {
  private readonly base: Attributes;
  private readonly requests = counter(SHADOW_METRICS.requests);
  private readonly candidateRuns = counter(SHADOW_METRICS.candidateRuns);
  private readonly comparisons = counter(SHADOW_METRICS.comparisons);
  private readonly judgeVerdicts = counter(SHADOW_METRICS.judgeVerdicts);
  private readonly interceptedWrites = counter(SHADOW_METRICS.interceptedWrites);
  private readonly similarity: Histogram = metrics.getMeter(METER_NAME).createHistogram(SHADOW_METRICS.similarity.otelName, {
    unit: SHADOW_METRICS.similarity.unit,
    description: SHADOW_METRICS.similarity.description,
    // Buckets dense around the 0.80 / 0.92 band edges, where decisions are made.
    advice: { explicitBucketBoundaries: [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.92, 0.95, 0.98, 1] },
  });

  constructor(deployment: string, candidateHash: string, productionHash: string, source: ShadowSource) {
    this.base = { deployment, version_hash: candidateHash, production_version_hash: productionHash, source };
  }

  request(decision: RequestDecision): void {
    this.requests.add(1, { ...this.base, decision });
  }

  candidateRun(result: CandidateResult): void {
    this.candidateRuns.add(1, { ...this.base, result });
  }

  intercepted(tool: string): void {
    this.interceptedWrites.add(1, { ...this.base, tool });
  }

  comparison(score: number, method: SimilarityMethod, band: SimilarityBand, decisionsAgree: boolean): void {
    this.similarity.record(score, { ...this.base, method });
    this.comparisons.add(1, { ...this.base, decision: decisionsAgree ? "agree" : "disagree", band });
  }

  verdict(verdict: JudgeVerdict, trigger: JudgeTrigger): void {
    this.judgeVerdicts.add(1, { ...this.base, verdict, trigger });
  }
}
