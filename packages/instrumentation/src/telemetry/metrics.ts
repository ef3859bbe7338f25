import { METRICS, type MetricDef, type MetricKey } from "@agent-canary/conventions";
import type { Attributes, Counter, Gauge, Histogram, Meter, UpDownCounter } from "@opentelemetry/api";
import { type GateInputKey, isGateInputKey } from "./gate-inputs/keys.js";

/**
 * Histogram bucket boundaries chosen for each quantity, given as instrument
 * advice so they apply without the user configuring views.
 */
export const BUCKETS = {
  // USD per session: sub-cent sessions up to runaway ones.
  usd: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25],
  // Turns per session: integers 1..100 with finer steps where most sessions are.
  turns: [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100],
  // Session wall-clock seconds: a quick answer up to a long-running task.
  sessionSeconds: [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600],
  // Judge scores live in 0..1.
  score: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
  // GenAI semconv advice for token usage and operation duration.
  tokens: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
  callSeconds: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
} as const;

/** Catalog metrics recorded through SDK instruments: all but the gate inputs (see GateInputs). */
export type InstrumentKey = Exclude<MetricKey, GateInputKey>;

const HISTOGRAM_BUCKETS: Partial<Record<InstrumentKey, readonly number[]>> = {
  sessionCost: BUCKETS.usd,
  sessionTurns: BUCKETS.turns,
  sessionDuration: BUCKETS.sessionSeconds,
  qualityScore: BUCKETS.score,
  tokenUsage: BUCKETS.tokens,
  operationDuration: BUCKETS.callSeconds,
};

type Instrument = Counter | Histogram | UpDownCounter | Gauge;

/**
 * Labels whose values come from outside agent-canary: tool names the model
 * asks for (a confused model can invent one per call), safety categories the
 * agent passes, model names. Each keeps its first values; later new ones are
 * recorded as `other`, so no input can mint a time series per call.
 */
const OPEN_LABELS = ["tool", "category", "model"] as const;
const MAX_OPEN_LABEL_VALUES = 100;
const OVERFLOW_LABEL_VALUE = "other";

/** One instrument per entry of the METRICS catalog but the gate inputs, created from it so names never drift. */
export class Instruments {
  private readonly byKey = new Map<InstrumentKey, Instrument>();
  private readonly openLabelValues = new Map<string, Set<string>>(OPEN_LABELS.map((label) => [label, new Set<string>()]));

  constructor(meter: Meter) {
    for (const key of Object.keys(METRICS) as MetricKey[]) {
      if (isGateInputKey(key)) continue;
      const def: MetricDef = METRICS[key];
      const common = { description: def.description, unit: def.unit };
      switch (def.kind) {
        case "counter":
          this.byKey.set(key, meter.createCounter(def.otelName, common));
          break;
        case "updown":
          this.byKey.set(key, meter.createUpDownCounter(def.otelName, common));
          break;
        case "histogram": {
          const boundaries = HISTOGRAM_BUCKETS[key];
          this.byKey.set(
            key,
            meter.createHistogram(def.otelName, {
              ...common,
              ...(boundaries ? { advice: { explicitBucketBoundaries: [...boundaries] } } : {}),
            }),
          );
          break;
        }
        case "gauge":
          this.byKey.set(key, meter.createGauge(def.otelName, common));
          break;
      }
    }
  }

  /** Adds to a counter or up-down counter, or records into a histogram or gauge. */
  record(key: InstrumentKey, value: number, attributes: Attributes): void {
    const instrument = this.byKey.get(key);
    if (!instrument) return;
    const bounded = this.bounded(attributes);
    if ("add" in instrument) instrument.add(value, bounded);
    else instrument.record(value, bounded);
  }

  private bounded(attributes: Attributes): Attributes {
    let result = attributes;
    for (const [label, values] of this.openLabelValues) {
      const value = attributes[label];
      if (typeof value !== "string" || values.has(value)) continue;
      if (values.size < MAX_OPEN_LABEL_VALUES) values.add(value);
      else result = { ...result, [label]: OVERFLOW_LABEL_VALUE };
    }
    return result;
  }
}
