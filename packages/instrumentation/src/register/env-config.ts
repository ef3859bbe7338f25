import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  type BatchSpanProcessorOptions,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import type { TextMapPropagator } from "@opentelemetry/api";
import { OptionsError } from "../options-error.js";

/**
 * The standard OTEL_* SDK variables agent-canary's own SDK setup honours, read
 * here because the SDK pieces it composes (unlike the NodeSDK bundle it
 * replaced) do not read them themselves. Unknown values are config errors.
 */
type Env = Record<string, string | undefined>;

function invalid(variable: string, value: string, expected: string): OptionsError {
  return new OptionsError("OpenTelemetry environment", [{ path: variable, message: `"${value}" is not supported; use ${expected}` }]);
}

/** OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG (default: parentbased_always_on). */
export function samplerFromEnv(env: Env): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim() || "parentbased_always_on";
  const ratio = env.OTEL_TRACES_SAMPLER_ARG === undefined ? 1 : Number(env.OTEL_TRACES_SAMPLER_ARG);
  if (!(ratio >= 0 && ratio <= 1)) throw invalid("OTEL_TRACES_SAMPLER_ARG", String(env.OTEL_TRACES_SAMPLER_ARG), "a ratio in 0..1");
  const roots: Record<string, () => Sampler> = {
    always_on: () => new AlwaysOnSampler(),
    always_off: () => new AlwaysOffSampler(),
    traceidratio: () => new TraceIdRatioBasedSampler(ratio),
  };
  const root = roots[name.replace(/^parentbased_/, "")];
  if (!root) throw invalid("OTEL_TRACES_SAMPLER", name, "always_on, always_off, traceidratio or their parentbased_ forms");
  return name.startsWith("parentbased_") ? new ParentBasedSampler({ root: root() }) : root();
}

/** OTEL_PROPAGATORS: tracecontext and baggage (the default), or none. */
export function propagatorFromEnv(env: Env): TextMapPropagator | undefined {
  const names = (env.OTEL_PROPAGATORS ?? "tracecontext,baggage").split(",").map((n) => n.trim()).filter(Boolean);
  if (names.includes("none")) return undefined;
  const known: Record<string, () => TextMapPropagator> = { tracecontext: () => new W3CTraceContextPropagator(), baggage: () => new W3CBaggagePropagator() };
  const unknown = names.filter((n) => !known[n]);
  if (unknown.length > 0) throw invalid("OTEL_PROPAGATORS", unknown.join(","), "tracecontext, baggage or none (other propagators: run your own SDK and pass startSdk: false)");
  return new CompositePropagator({ propagators: names.map((n) => known[n]!()) });
}

/** OTEL_BSP_* batching settings; unset ones keep the SDK's defaults. */
export function batchOptionsFromEnv(env: Env): Omit<BatchSpanProcessorOptions, "exporter"> {
  const read = (variable: string): number | undefined => {
    const raw = env[variable];
    if (raw === undefined || raw.trim() === "") return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw invalid(variable, raw, "a positive integer");
    return n;
  };
  const options = {
    scheduledDelayMillis: read("OTEL_BSP_SCHEDULE_DELAY"),
    exportTimeoutMillis: read("OTEL_BSP_EXPORT_TIMEOUT"),
    maxQueueSize: read("OTEL_BSP_MAX_QUEUE_SIZE"),
    maxExportBatchSize: read("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}
