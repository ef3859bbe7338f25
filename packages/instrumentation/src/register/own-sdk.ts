import { context, metrics, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from "@opentelemetry/resources";
import { MeterProvider, type MetricReader, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import type { AgentCanaryInstrumentation } from "../llm/instrumentation.js";
import { AgentCanarySpanProcessor } from "../spans/processor.js";
import { gateInputsProducer } from "../telemetry/gate-inputs/export.js";
import type { GateInputs } from "../telemetry/gate-inputs/gate-inputs.js";
import { batchOptionsFromEnv, propagatorFromEnv, samplerFromEnv } from "./env-config.js";
import { ExportLedger } from "./export-ledger.js";
import { metricsExporterKind, otlpMetricExporter, spanExporters } from "./exporters.js";
import type { ParsedRegisterOptions } from "./options.js";
import { settleWithin } from "./settle-within.js";

type Env = Record<string, string | undefined>;

/** The OpenTelemetry SDK register() sets up when the app runs none of its own. */
export interface OwnSdk {
  readonly tracerProvider: TracerProvider;
  readonly meterProvider: MeterProvider;
  /** Served by register()'s own HTTP server when metrics go to Prometheus. */
  readonly prometheus: PrometheusExporter | undefined;
  /** The global APIs that were already taken by another SDK (ours then records through its own providers only). */
  readonly notGlobal: string[];
  /** Flushes and stops, giving up after `timeoutMs`; resolves with what went wrong and what was dropped. */
  shutdown(timeoutMs: number): Promise<string[]>;
}

/**
 * Composes the SDK from its parts (trace and metrics providers, exporters,
 * context manager, propagator, resource) rather than @opentelemetry/sdk-node,
 * which installs every exporter (gRPC, protobuf, Zipkin, logs) for every agent.
 * The standard OTEL_* variables it honoured are read in env-config.ts.
 */
export function startOwnSdk(o: ParsedRegisterOptions, env: Env, instrumentation: AgentCanaryInstrumentation, gateInputs: GateInputs): OwnSdk {
  const resource = defaultResource()
    .merge(detectResources({ detectors: [serviceInstanceIdDetector, processDetector, hostDetector, osDetector, envDetector] }))
    .merge(resourceFromAttributes({ "service.name": o.serviceName ?? env.OTEL_SERVICE_NAME ?? o.deployment }));
  const ledger = new ExportLedger();
  const exporters = spanExporters(o, env);
  const exporting = exporters.length === 0 ? [] : [ledger.counter(exporters.length), ...exporters.map((e) => new BatchSpanProcessor({ exporter: ledger.spanExporter(e), ...batchOptionsFromEnv(env) }))];
  const tracerProvider = new TracerProvider({
    resource,
    sampler: samplerFromEnv(env),
    // First, whatever the exporter (none included): it stamps the session's hash and group on
    // every span before an exporter sees it, and feeds other instrumentations' GenAI spans into sessions.
    spanProcessors: [new AgentCanarySpanProcessor(), ...exporting],
  });
  // The gate inputs are produced from agent-canary's own counts (see gateInputsProducer).
  const metricProducers = [gateInputsProducer(gateInputs)];
  const kind = metricsExporterKind(o, env);
  const prometheus = kind === "prometheus" ? new PrometheusExporter({ preventServerStart: true, metricProducers }) : undefined;
  const readers: MetricReader[] = prometheus ? [prometheus] : [];
  if (kind === "otlp") {
    readers.push(new PeriodicExportingMetricReader({ exporter: ledger.metricExporter(otlpMetricExporter(o, env)), exportIntervalMillis: o.metrics.exportIntervalMillis, metricProducers }));
  }
  const meterProvider = new MeterProvider({ resource, readers });
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.setMeterProvider(meterProvider);

  const contextManager = new AsyncLocalStorageContextManager().enable();
  const propagator = propagatorFromEnv(env);
  const registered = {
    context: context.setGlobalContextManager(contextManager),
    trace: trace.setGlobalTracerProvider(tracerProvider),
    metrics: metrics.setGlobalMeterProvider(meterProvider),
    propagation: propagator ? propagation.setGlobalPropagator(propagator) : false,
  };
  if (!registered.context) contextManager.disable();

  return {
    tracerProvider,
    meterProvider,
    prometheus,
    notGlobal: Object.entries(registered)
      .filter(([api, ok]) => !ok && (api !== "propagation" || propagator))
      .map(([api]) => api),
    async shutdown(timeoutMs) {
      const steps = await settleWithin(Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]), timeoutMs);
      // Give the globals back, so a later register() in this process can take them.
      if (registered.trace) trace.disable();
      if (registered.metrics) metrics.disable();
      if (registered.propagation) propagation.disable();
      if (registered.context) context.disable();
      const problems = steps ? steps.flatMap((s) => (s.status === "rejected" ? [errorMessage(s.reason)] : [])) : [`gave up waiting for the exporters after ${timeoutMs} ms`];
      const losses = ledger.losses();
      return losses ? [...problems, `dropped ${losses}`] : problems;
    },
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
