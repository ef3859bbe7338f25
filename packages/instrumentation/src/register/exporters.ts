import { createRequire } from "node:module";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import type { PushMetricExporter } from "@opentelemetry/sdk-metrics";
import { ConsoleSpanExporter, type SpanExporter } from "@opentelemetry/sdk-trace";
import { OptionsError } from "../options-error.js";
import type { ParsedRegisterOptions } from "./options.js";

type Env = Record<string, string | undefined>;
type Signal = "traces" | "metrics";

/**
 * OTLP protocols other than http/json need a package agent-canary does not
 * install for every agent (gRPC pulls in @grpc/grpc-js, protobuf a protobuf
 * runtime); they are optional peers, loaded only when chosen. Keep the range
 * in step with peerDependencies in package.json (a test checks it).
 */
export const OPTIONAL_EXPORTERS = {
  traces: { grpc: "@opentelemetry/exporter-trace-otlp-grpc", "http/protobuf": "@opentelemetry/exporter-trace-otlp-proto" },
  metrics: { grpc: "@opentelemetry/exporter-metrics-otlp-grpc", "http/protobuf": "@opentelemetry/exporter-metrics-otlp-proto" },
} as const;
export const OPTIONAL_EXPORTER_RANGE = "^0.301.0";

type Protocol = "http/json" | keyof (typeof OPTIONAL_EXPORTERS)["traces"];

/** OTEL_EXPORTER_OTLP_{TRACES,METRICS}_PROTOCOL, then OTEL_EXPORTER_OTLP_PROTOCOL; http/json when unset. */
function protocolOf(signal: Signal, env: Env): Protocol {
  const variable = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_PROTOCOL`;
  const specific = env[variable]?.trim();
  const raw = specific || env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim();
  if (!raw || raw === "http/json") return "http/json";
  if (raw === "grpc" || raw === "http/protobuf") return raw;
  throw new OptionsError("OpenTelemetry environment", [
    { path: specific ? variable : "OTEL_EXPORTER_OTLP_PROTOCOL", message: `"${raw}" is not an OTLP protocol; use http/json (the default), http/protobuf or grpc` },
  ]);
}

/** Loads an optional peer synchronously (register() returns at once), or says which package to install. */
export function loadOptional(pkg: string, why: string): Record<string, unknown> {
  try {
    return createRequire(import.meta.url)(pkg) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
    throw new OptionsError("OpenTelemetry exporter", [{ path: why, message: `needs ${pkg}, which is not installed: npm install ${pkg}@${OPTIONAL_EXPORTER_RANGE}` }]);
  }
}

function otlpExporter<T>(signal: Signal, env: Env, url: string | undefined, httpJson: new (config: { url?: string }) => T, className: string): T {
  const protocol = protocolOf(signal, env);
  const config = url ? { url } : {};
  if (protocol === "http/json") return new httpJson(config);
  const pkg = OPTIONAL_EXPORTERS[signal][protocol];
  const Exporter = loadOptional(pkg, `OTLP ${signal} over ${protocol}`)[className] as new (config: { url?: string }) => T;
  return new Exporter(config);
}

/** The span exporters for `traces.exporter` (otlp, none, or env: what OTEL_TRACES_EXPORTER lists). */
export function spanExporters(o: ParsedRegisterOptions, env: Env): SpanExporter[] {
  const mode = o.traces.exporter ?? (env.OTEL_TRACES_EXPORTER ? "env" : "otlp");
  if (mode === "none") return [];
  const otlp = () => otlpExporter("traces", env, o.traces.endpoint, OTLPTraceExporter, "OTLPTraceExporter");
  if (mode === "otlp") return [otlp()];
  const names = (env.OTEL_TRACES_EXPORTER ?? "otlp").split(",").map((n) => n.trim()).filter(Boolean);
  if (names.includes("none")) return [];
  const unknown = names.filter((n) => n !== "otlp" && n !== "console");
  if (unknown.length > 0) {
    throw new OptionsError("OpenTelemetry environment", [
      { path: "OTEL_TRACES_EXPORTER", message: `"${unknown.join(",")}" is not supported by agent-canary's SDK; use otlp, console or none (or run your own SDK and pass startSdk: false)` },
    ]);
  }
  return names.map((n) => (n === "console" ? new ConsoleSpanExporter() : otlp()));
}

/** Explicit option first, then the standard OTEL_METRICS_EXPORTER, then a Prometheus endpoint. */
export function metricsExporterKind(o: ParsedRegisterOptions, env: Env): "prometheus" | "otlp" | "none" {
  if (o.metrics.exporter) return o.metrics.exporter;
  const value = env.OTEL_METRICS_EXPORTER?.trim();
  return value === "otlp" || value === "none" || value === "prometheus" ? value : "prometheus";
}

export function otlpMetricExporter(o: ParsedRegisterOptions, env: Env): PushMetricExporter {
  return otlpExporter("metrics", env, o.metrics.endpoint, OTLPMetricExporter, "OTLPMetricExporter");
}
