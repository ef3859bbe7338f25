import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";

/** A reader the test pulls from on demand. */
class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface MetricPoint {
  readonly name: string;
  readonly attributes: Record<string, unknown>;
  readonly value: number | Histogram;
}

/** Installs real OpenTelemetry SDK providers as the globals, as register() would, with in-memory sinks. */
export function installTelemetry() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);

  async function points(): Promise<MetricPoint[]> {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.flatMap((m) =>
        (m.dataPoints as DataPoint<number | Histogram>[]).map((p) => ({ name: m.descriptor.name, attributes: p.attributes, value: p.value })),
      ),
    );
  }

  async function shutdown(): Promise<void> {
    await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    trace.disable();
    metrics.disable();
    context.disable();
  }

  return { spans, points, shutdown };
}
