import { openStore, type RolloutStore } from "@agent-canary/rollout-state";
import { OptionsError } from "../options-error.js";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { type IMetricReader, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { NodeSDK, type NodeSDKConfiguration } from "@opentelemetry/sdk-node";
import { AgentCanaryInstrumentation } from "../llm/instrumentation.js";
import { consoleLogger } from "../telemetry/logger.js";
import { AgentCanary } from "../runtime/agent-canary.js";
import { getDefaultRuntime, setDefaultRuntime } from "../runtime/default-runtime.js";
import type { AgentSession, SessionInit } from "../session/session.js";
import { instrumentLoadedSdks } from "./loaded-sdks.js";
import { type MetricsServer, serveMetrics } from "./metrics-server.js";
import { type ParsedRegisterOptions, parseRegisterOptions, type RegisterOptions } from "./options.js";

export interface AgentCanaryHandle {
  readonly runtime: AgentCanary;
  readonly instrumentation: AgentCanaryInstrumentation;
  /** Resolves once the metrics endpoint listens; rejects if it cannot (port in use). */
  readonly ready: Promise<{ metricsUrl: string | undefined }>;
  session<T>(init: SessionInit, fn: (session: AgentSession) => Promise<T> | T): Promise<T>;
  /**
   * Flushes spans and metrics, closes the metrics server and the store it
   * opened. Idempotent. Never rejects: an export that fails (collector down)
   * is logged, as telemetry must not crash the agent on its way out.
   */
  shutdown(): Promise<void>;
}

/**
 * Sets up agent-canary and the OpenTelemetry Node SDK in one call. Returns at
 * once (no await needed, so it also runs from --require); `ready` says when
 * the metrics endpoint listens. Invalid options throw an OptionsError naming
 * each bad option.
 */
export function register(options: RegisterOptions): AgentCanaryHandle {
  const o = parseRegisterOptions(options);
  if (getDefaultRuntime()) {
    throw new Error("agent-canary is already registered in this process; call shutdown() on the first handle before registering again");
  }
  const { store, ownsStore } = openStoreOption(o.store);
  const instrumentation = new AgentCanaryInstrumentation({
    prices: o.prices,
    enabled: o.autoInstrument,
    deployment: o.deployment,
    ...(o.logger ? { logger: o.logger } : {}),
  });
  const prometheus = o.startSdk && metricsExporter(o) === "prometheus" ? new PrometheusExporter({ preventServerStart: true }) : undefined;
  const sdk = o.startSdk ? new NodeSDK(sdkConfiguration(o, instrumentation, prometheus)) : undefined;
  sdk?.start();
  if (o.autoInstrument) instrumentLoadedSdks(instrumentation);
  const runtime = new AgentCanary({ ...o, store });
  setDefaultRuntime(runtime);

  const serving: Promise<MetricsServer | undefined> = prometheus
    ? serveMetrics(prometheus, o.metrics.host, o.metrics.port)
    : Promise.resolve(undefined);
  const logger = o.logger ?? consoleLogger;
  // The rejection is reported through `ready`; here it must not go unhandled.
  serving.then((server) => logger.info(startupSummary(o, runtime, server)), () => undefined);

  let shutdown: Promise<void> | undefined;
  return {
    runtime,
    instrumentation,
    ready: serving.then((server) => ({ metricsUrl: server?.url })),
    session: (init, fn) => runtime.session(init, fn),
    shutdown: () =>
      (shutdown ??= (async () => {
        if (getDefaultRuntime() === runtime) setDefaultRuntime(undefined);
        await runtime.close();
        instrumentation.disable();
        const server = await serving.catch(() => undefined);
        const steps = await Promise.allSettled([server?.close(), sdk?.shutdown(), ownsStore ? store?.close() : undefined]);
        for (const step of steps) {
          if (step.status === "rejected") logger.warn(`shutdown could not finish cleanly (telemetry not yet exported may be lost): ${errorMessage(step.reason)}`);
        }
      })()),
  };
}

/** One line at start saying what was set up, so a misconfiguration shows in the first log line. */
function startupSummary(o: ParsedRegisterOptions, runtime: AgentCanary, server: MetricsServer | undefined): string {
  const { baseline, canary } = runtime.versions;
  const versions = `baseline ${baseline.hash}${canary ? `, canary ${canary.hash}` : ""}`;
  const state = typeof o.store === "string" ? `from ${o.store}` : o.store ? "from the given store" : "not used (all sessions run the baseline)";
  return `deployment ${o.deployment}: ${versions}; rollout state ${state}; metrics ${metricsTarget(o, server)}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function openStoreOption(option: ParsedRegisterOptions["store"]): { store: RolloutStore | undefined; ownsStore: boolean } {
  if (option === undefined) return { store: undefined, ownsStore: false };
  if (typeof option !== "string") return { store: option, ownsStore: false };
  // A bare path means the file store; anything URL-shaped goes to openStore as it is, to be named if unknown.
  const spec = /^(file:|[a-z][a-z0-9+.-]*:\/\/)/i.test(option) ? option : `file:${option}`;
  try {
    return { store: openStore(spec), ownsStore: true };
  } catch (error) {
    throw new OptionsError("register() options", [{ path: "store", message: errorMessage(error) }]);
  }
}

function metricsTarget(o: ParsedRegisterOptions, server: MetricsServer | undefined): string {
  if (server) return `on ${server.url}`;
  if (!o.startSdk) return "through the app's own OpenTelemetry SDK";
  const exporter = metricsExporter(o);
  return exporter === "none" ? "off (exporter none)" : `over ${exporter}`;
}

/** Explicit option first, then the standard OTEL_METRICS_EXPORTER, then a Prometheus endpoint. */
function metricsExporter(o: ParsedRegisterOptions): "prometheus" | "otlp" | "none" {
  if (o.metrics.exporter) return o.metrics.exporter;
  const env = process.env.OTEL_METRICS_EXPORTER?.trim();
  return env === "otlp" || env === "none" || env === "prometheus" ? env : "prometheus";
}

function sdkConfiguration(
  o: ParsedRegisterOptions,
  instrumentation: AgentCanaryInstrumentation,
  prometheus: PrometheusExporter | undefined,
): Partial<NodeSDKConfiguration> {
  const readers: IMetricReader[] = [];
  if (prometheus) readers.push(prometheus);
  if (metricsExporter(o) === "otlp") {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(o.metrics.endpoint ? { url: o.metrics.endpoint } : {}),
        exportIntervalMillis: o.metrics.exportIntervalMillis,
      }),
    );
  }
  const config: Partial<NodeSDKConfiguration> = {
    serviceName: o.serviceName ?? process.env.OTEL_SERVICE_NAME ?? o.deployment,
    instrumentations: [instrumentation],
    metricReaders: readers,
  };
  // Logs are not ours to configure unless the user asks through the standard variable.
  if (!process.env.OTEL_LOGS_EXPORTER) config.logRecordProcessors = [];
  const traces = o.traces.exporter ?? (process.env.OTEL_TRACES_EXPORTER ? "env" : "otlp");
  if (traces === "none") config.spanProcessors = [];
  else if (traces === "otlp") config.traceExporter = new OTLPTraceExporter(o.traces.endpoint ? { url: o.traces.endpoint } : {});
  return config;
}
