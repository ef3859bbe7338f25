import { fieldErrorMap } from "@agent-canary/conventions";
import { z } from "zod";
import { PriceTableSchema } from "../cost/prices.js";
import { GuardsSchema } from "../guards/config.js";
import { OptionsError } from "../options-error.js";
import { AgentCanaryOptionsSchema, StoreInstanceSchema } from "../runtime/options.js";

/**
 * Where the rollout state lives: a RolloutStore, a store spec as the CLI takes
 * it (file:<dir> or redis://host:port), or a bare directory for the file store.
 */
export const StoreOptionSchema = z.union(
  [StoreInstanceSchema, z.string().min(1)],
  "store: pass file:<dir> (or a directory path), redis://host:port, or a RolloutStore instance",
);

const TracesSchema = z
  .object({
    /** otlp: OTLP/HTTP to OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT or `endpoint`; env: let OTEL_TRACES_EXPORTER decide. */
    exporter: z.enum(["otlp", "none", "env"]).optional(),
    endpoint: z.url("traces.endpoint must be a URL such as http://collector:4318/v1/traces").optional(),
  })
  .prefault({});

const MetricsSchema = z
  .object({
    /** prometheus: serve /metrics for scraping; otlp: push over OTLP/HTTP; none: no metrics. */
    exporter: z.enum(["prometheus", "otlp", "none"]).optional(),
    /** Scrape endpoint port; 0 picks a free one (see handle.metricsUrl). */
    port: z.number().int().min(0).max(65535).default(9464),
    /** Scrape endpoint interface. The default serves every interface, as Prometheus scrapes from outside. */
    host: z.string().min(1).default("0.0.0.0"),
    endpoint: z.url("metrics.endpoint must be a URL such as http://collector:4318/v1/metrics").optional(),
    exportIntervalMillis: z.number().int().min(100).default(15_000),
  })
  .prefault({});

export const RegisterOptionsSchema = AgentCanaryOptionsSchema.omit({ store: true, tracerProvider: true, meterProvider: true }).extend({
  /** service.name of the resource; defaults to OTEL_SERVICE_NAME, then the deployment. */
  serviceName: z.string().min(1).optional(),
  store: StoreOptionSchema.optional(),
  guards: GuardsSchema,
  prices: PriceTableSchema.default({}),
  traces: TracesSchema,
  metrics: MetricsSchema,
  /**
   * true: start the OpenTelemetry Node SDK with the traces and metrics settings
   * here. false: the app already runs its own SDK; use its global providers and
   * ignore `traces` and `metrics`.
   */
  startSdk: z.boolean().default(true),
  /** Hook the openai and @anthropic-ai/sdk modules (default true). */
  autoInstrument: z.boolean().default(true),
  /**
   * How long shutdown() waits for the last spans and metrics to be exported
   * (a collector that is down or does not answer) before it gives up, saying
   * what it dropped.
   */
  shutdownTimeoutMs: z.number().int().positive().default(5_000),
});
export type RegisterOptions = z.input<typeof RegisterOptionsSchema>;
export type ParsedRegisterOptions = z.output<typeof RegisterOptionsSchema>;

export function parseRegisterOptions(options: unknown, source = "register() options"): ParsedRegisterOptions {
  const parsed = RegisterOptionsSchema.safeParse(options, { error: fieldErrorMap });
  if (!parsed.success) throw OptionsError.fromZod(source, parsed.error);
  return parsed.data;
}
