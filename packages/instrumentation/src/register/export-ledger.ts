import type { Context } from "@opentelemetry/api";
import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import type { PushMetricExporter, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace";

/**
 * Counts what agent-canary's own SDK set out to export and what it could not,
 * so a shutdown that gives up (no collector reachable) can say what it dropped.
 */
export class ExportLedger {
  private spansEnded = 0;
  private spansExported = 0;
  private spansFailed = 0;
  private pointsFailed = 0;
  private metricExportsRunning = 0;
  private lastError: string | undefined;

  /** A span processor that only counts ended spans: each is due once to each of `exporters` exporters. */
  counter(exporters: number): SpanProcessor {
    return {
      onStart: (_span: Span, _context: Context) => undefined,
      onEnd: (_span: ReadableSpan) => {
        this.spansEnded += exporters;
      },
      forceFlush: async () => undefined,
      shutdown: async () => undefined,
    };
  }

  spanExporter(exporter: SpanExporter): SpanExporter {
    return {
      export: (spans, done) =>
        exporter.export(spans, (result) => {
          if (result.code === ExportResultCode.SUCCESS) this.spansExported += spans.length;
          else this.failed(result, () => (this.spansFailed += spans.length));
          done(result);
        }),
      shutdown: () => exporter.shutdown(),
      ...(exporter.forceFlush ? { forceFlush: () => exporter.forceFlush!() } : {}),
    };
  }

  metricExporter(exporter: PushMetricExporter): PushMetricExporter {
    const wrapped: PushMetricExporter = {
      export: (metrics: ResourceMetrics, done: (result: ExportResult) => void) => {
        this.metricExportsRunning += 1;
        exporter.export(metrics, (result) => {
          this.metricExportsRunning -= 1;
          if (result.code !== ExportResultCode.SUCCESS) this.failed(result, () => (this.pointsFailed += countPoints(metrics)));
          done(result);
        });
      },
      forceFlush: () => exporter.forceFlush(),
      shutdown: () => exporter.shutdown(),
    };
    if (exporter.selectAggregationTemporality) wrapped.selectAggregationTemporality = (type) => exporter.selectAggregationTemporality!(type);
    if (exporter.selectAggregation) wrapped.selectAggregation = (type) => exporter.selectAggregation!(type);
    return wrapped;
  }

  /** What was not exported, in words; undefined when nothing was lost. */
  losses(): string | undefined {
    const unexported = this.spansEnded - this.spansExported;
    const parts: string[] = [];
    if (unexported > 0) {
      const pending = unexported - this.spansFailed;
      parts.push(`${unexported} span${unexported === 1 ? "" : "s"} not exported (${this.spansFailed} in failed exports, ${pending} still queued or in flight)`);
    }
    if (this.pointsFailed > 0) parts.push(`${this.pointsFailed} metric data points in failed exports`);
    if (this.metricExportsRunning > 0) parts.push("the last metric export had not finished");
    if (parts.length === 0) return undefined;
    return `${parts.join("; ")}${this.lastError ? `; last export error: ${this.lastError}` : ""}`;
  }

  private failed(result: ExportResult, count: () => void): void {
    count();
    if (result.error) this.lastError = result.error.message;
  }
}

function countPoints(metrics: ResourceMetrics): number {
  return metrics.scopeMetrics.reduce((n, scope) => n + scope.metrics.reduce((m, metric) => m + metric.dataPoints.length, 0), 0);
}
