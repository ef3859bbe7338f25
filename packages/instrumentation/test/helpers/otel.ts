import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import type { Logger } from "@agent-canary/instrumentation";

/** Real SDK providers with in-memory exporters, so tests read what a collector would get. */
export function testTelemetry() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const warnings: string[] = [];
  const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };

  async function collect(): Promise<ResourceMetrics> {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics;
  }

  /** Sum of a counter (or count of a histogram) over the points whose attributes match. */
  async function metricValue(name: string, match: Record<string, string | number> = {}): Promise<number> {
    const rm = await collect();
    let total = 0;
    for (const scope of rm.scopeMetrics) {
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== name) continue;
        for (const point of metric.dataPoints) {
          if (!Object.entries(match).every(([k, v]) => point.attributes[k] === v)) continue;
          const value = point.value as number | { count: number };
          total += typeof value === "number" ? value : value.count;
        }
      }
    }
    return total;
  }

  /** Sum of a histogram's recorded values over matching points. */
  async function histogramSum(name: string, match: Record<string, string | number> = {}): Promise<number | undefined> {
    const rm = await collect();
    let total: number | undefined;
    for (const scope of rm.scopeMetrics)
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== name) continue;
        for (const point of metric.dataPoints) {
          if (!Object.entries(match).every(([k, v]) => point.attributes[k] === v)) continue;
          total = (total ?? 0) + ((point.value as { sum?: number }).sum ?? 0);
        }
      }
    return total;
  }

  /** Every point of a metric: its attributes and value (a histogram's count). */
  async function points(name: string): Promise<{ attributes: Record<string, unknown>; value: number }[]> {
    const rm = await collect();
    const found: { attributes: Record<string, unknown>; value: number }[] = [];
    for (const scope of rm.scopeMetrics)
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== name) continue;
        for (const point of metric.dataPoints) {
          const value = point.value as number | { count: number };
          found.push({ attributes: { ...point.attributes }, value: typeof value === "number" ? value : value.count });
        }
      }
    return found;
  }

  /** The distinct values a label takes across a metric's points. */
  async function labelValues(name: string, label: string): Promise<Set<unknown>> {
    const rm = await collect();
    const values = new Set<unknown>();
    for (const scope of rm.scopeMetrics)
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== name) continue;
        for (const point of metric.dataPoints) values.add(point.attributes[label]);
      }
    return values;
  }

  function finished(name?: string): ReadableSpan[] {
    const all = spans.getFinishedSpans();
    return name ? all.filter((s) => s.name === name || s.name.startsWith(`${name} `)) : all;
  }

  return {
    tracerProvider,
    meterProvider,
    logger,
    warnings,
    metricValue,
    histogramSum,
    points,
    labelValues,
    finished,
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
