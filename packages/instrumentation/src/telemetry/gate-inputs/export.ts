import { METRICS } from "@agent-canary/conventions";
import { type Attributes, type Meter, type ObservableCounter, ValueType } from "@opentelemetry/api";
import { millisToHrTime } from "@opentelemetry/core";
import { emptyResource } from "@opentelemetry/resources";
import { AggregationTemporality, type CollectionResult, DataPointType, type MetricData, type MetricProducer } from "@opentelemetry/sdk-metrics";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../../version.js";
import type { GateInputs } from "./gate-inputs.js";
import { GATE_INPUT_KEYS, type GateInputKey } from "./keys.js";

type Points = Record<GateInputKey, { attributes: Attributes; startTime: [number, number]; endTime: [number, number]; value: number }[]>;

/**
 * The gate inputs as a MetricProducer for readers agent-canary creates itself:
 * what it returns is exactly GateInputs' current map, so the series of a
 * rollout GateInputs dropped are no longer exported and hold no memory.
 * (Observable instruments would not do: for cumulative temporality the SDK
 * keeps reporting an attribute set's last value after a callback stops
 * observing it, and keeps it in memory.)
 */
export function gateInputsProducer(inputs: GateInputs): MetricProducer {
  return {
    async collect(): Promise<CollectionResult> {
      const endTime = millisToHrTime(Date.now());
      const points = Object.fromEntries(GATE_INPUT_KEYS.map((key) => [key, []])) as unknown as Points;
      inputs.collect((key, attributes, value, startTimeMs) => points[key].push({ attributes, startTime: millisToHrTime(startTimeMs), endTime, value }));
      const metrics: MetricData[] = GATE_INPUT_KEYS.filter((key) => points[key].length > 0).map((key) => ({
        descriptor: { name: METRICS[key].otelName, description: METRICS[key].description, unit: METRICS[key].unit, valueType: ValueType.DOUBLE },
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.SUM,
        isMonotonic: true,
        dataPoints: points[key],
      }));
      return {
        resourceMetrics: { resource: emptyResource(), scopeMetrics: [{ scope: { name: PACKAGE_NAME, version: PACKAGE_VERSION }, metrics }] },
        errors: [],
      };
    },
  };
}

/**
 * The gate inputs as observable counters on a meter agent-canary did not set
 * up (an app's own SDK, or a MeterProvider passed in). Values are exact; the
 * series of a dropped rollout keep being exported by that SDK at their last value.
 */
export function observeGateInputs(meter: Meter, inputs: GateInputs): void {
  const instruments = new Map<GateInputKey, ObservableCounter>(
    GATE_INPUT_KEYS.map((key) => [key, meter.createObservableCounter(METRICS[key].otelName, { description: METRICS[key].description, unit: METRICS[key].unit })]),
  );
  meter.addBatchObservableCallback(
    (result) => inputs.collect((key, attributes, value) => result.observe(instruments.get(key)!, value, attributes)),
    [...instruments.values()],
  );
}
