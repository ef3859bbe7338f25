import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { SimpleSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter, type SpanProcessor } from "@opentelemetry/sdk-trace";

/** Counts ended spans and drops them: the export cost is the same (zero) for every variant. */
export class CountingExporter implements SpanExporter {
  count = 0;
  readonly names = new Map<string, number>();
  export(spans: ReadableSpan[], done: (result: { code: 0 }) => void): void {
    this.count += spans.length;
    for (const span of spans) this.names.set(span.name, (this.names.get(span.name) ?? 0) + 1);
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

/** A pull reader nobody pulls from: instruments aggregate on record, as they do in production between scrapes. */
class IdleReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Processors a variant adds after setup (agent-canary's span processor), run before the exporting one. */
class AddedProcessors implements SpanProcessor {
  readonly list: SpanProcessor[] = [];
  onStart(...args: Parameters<SpanProcessor["onStart"]>): void {
    for (const p of this.list) p.onStart(...args);
  }
  onEnd(span: ReadableSpan): void {
    for (const p of this.list) p.onEnd(span);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

export interface OtelHandles {
  readonly spans: CountingExporter;
  addSpanProcessor(processor: SpanProcessor): void;
  readonly tracerProvider: TracerProvider;
  readonly meterProvider: MeterProvider;
  readonly reader: MetricReader;
}

/**
 * The same real SDK setup for every variant: AsyncLocalStorage context, a
 * tracer provider with a simple (synchronous) span processor, a meter
 * provider with a reader. All registered as the OpenTelemetry globals.
 */
export function setupOtel(): OtelHandles {
  const spans = new CountingExporter();
  const added = new AddedProcessors();
  const tracerProvider = new TracerProvider({ spanProcessors: [added, new SimpleSpanProcessor({ exporter: spans })] });
  const reader = new IdleReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return { spans, tracerProvider, meterProvider, reader, addSpanProcessor: (p) => added.list.push(p) };
}
