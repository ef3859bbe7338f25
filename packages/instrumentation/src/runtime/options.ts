import { DeploymentNameSchema, fieldErrorMap, VersionSpecSchema } from "@agent-canary/conventions";
import type { RolloutStore } from "@agent-canary/rollout-state";
import type { MeterProvider, TracerProvider } from "@opentelemetry/api";
import { z } from "zod";
import { PriceTableSchema } from "../cost/prices.js";
import { GuardsSchema } from "../guards/config.js";
import { OptionsError } from "../options-error.js";
import type { Logger } from "../telemetry/logger.js";

function hasMethods(value: unknown, methods: string[]): boolean {
  return typeof value === "object" && value !== null && methods.every((m) => typeof (value as Record<string, unknown>)[m] === "function");
}

export const StoreInstanceSchema = z.custom<RolloutStore>(
  (v) => hasMethods(v, ["read", "watch", "compareAndSet", "close"]),
  "expected a RolloutStore (FileStore, RedisStore or your own implementation of the interface)",
);

export const VersionsSchema = z.object(
  {
    baseline: VersionSpecSchema,
    canary: VersionSpecSchema.optional(),
  },
  "declare the versions this agent can run: { baseline: { model, systemPrompt, tools, params }, canary?: {...} }",
);

export const AgentCanaryOptionsSchema = z.object({
  /** The deployment (agent) name: a metric label and the rollout state's key. */
  deployment: DeploymentNameSchema,
  /** gen_ai.agent.name on invoke_agent spans; defaults to the deployment. */
  agentName: z.string().min(1).optional(),
  versions: VersionsSchema,
  /** Where the rollout state lives; without one every session runs the baseline. */
  store: StoreInstanceSchema.optional(),
  guards: GuardsSchema,
  /** USD per 1M tokens, merged over the defaults (see DEFAULT_PRICES). */
  prices: PriceTableSchema.default({}),
  /** false: use only `prices`, not the built-in table. */
  defaultPrices: z.boolean().default(true),
  /** Bound of the pin table that keeps resumed session ids in their group (LRU). */
  maxPinnedSessions: z.number().int().positive().default(10_000),
  /** How long a session start waits for the first rollout state before failing closed to baseline. */
  stateTimeoutMs: z.number().int().nonnegative().default(2_000),
  /**
   * How long the gate-input series of a rollout that ended (another rollout
   * started, or it was promoted) stay exported, so Prometheus scrapes their
   * last values before a long-running process forgets them.
   */
  retainEndedRolloutSeconds: z.number().nonnegative().default(3_600),
  logger: z.custom<Logger>((v) => hasMethods(v, ["debug", "info", "warn", "error"]), "expected { debug, info, warn, error } functions").optional(),
  tracerProvider: z.custom<TracerProvider>((v) => hasMethods(v, ["getTracer"]), "expected an OpenTelemetry TracerProvider").optional(),
  meterProvider: z.custom<MeterProvider>((v) => hasMethods(v, ["getMeter"]), "expected an OpenTelemetry MeterProvider").optional(),
});
export type AgentCanaryOptions = z.input<typeof AgentCanaryOptionsSchema>;
export type ParsedAgentCanaryOptions = z.output<typeof AgentCanaryOptionsSchema>;

export function parseAgentCanaryOptions(options: unknown): ParsedAgentCanaryOptions {
  const parsed = AgentCanaryOptionsSchema.safeParse(options, { error: fieldErrorMap });
  if (!parsed.success) throw OptionsError.fromZod("agent-canary options", parsed.error);
  return parsed.data;
}
