import type { RolloutStore } from "@agent-canary/rollout-state";
import { AgentCanaryInstrumentation } from "../llm/instrumentation.js";
import { AgentCanary } from "../runtime/agent-canary.js";
import { getDefaultRuntime, setDefaultRuntime } from "../runtime/default-runtime.js";
import type { AgentSession, SessionInit } from "../session/session.js";
import { GateInputs } from "../telemetry/gate-inputs/gate-inputs.js";
import { consoleLogger } from "../telemetry/logger.js";
import { metricsFromEnv } from "./env.js";
import { metricsExporterKind } from "./exporters.js";
import { LazyStore, storeSpecOf } from "./lazy-store.js";
import { instrumentLoadedSdks } from "./loaded-sdks.js";
import { type MetricsServer, serveMetrics } from "./metrics-server.js";
import { type ParsedRegisterOptions, parseRegisterOptions, type RegisterOptions } from "./options.js";
import { apiVersionConflict, otherSdkRegistered } from "./otel-api.js";
import { type OwnSdk, startOwnSdk } from "./own-sdk.js";
import { settleWithin } from "./settle-within.js";

export interface AgentCanaryHandle {
  readonly runtime: AgentCanary;
  readonly instrumentation: AgentCanaryInstrumentation;
  /**
   * Resolves once the metrics endpoint listens, or could not (port in use:
   * `metricsUrl` is then undefined). Never rejects: `problems` lists what does
   * not work (also logged), as agent-canary must not stop the agent.
   */
  readonly ready: Promise<{ metricsUrl: string | undefined; problems: readonly string[] }>;
  session<T>(init: SessionInit, fn: (session: AgentSession) => Promise<T> | T): Promise<T>;
  /**
   * Flushes spans and metrics, closes the metrics server and the store it
   * opened. Idempotent. Never rejects, and gives up after `shutdownTimeoutMs`
   * when a collector does not answer, logging what was dropped.
   */
  shutdown(): Promise<void>;
}

/**
 * Sets up agent-canary and the OpenTelemetry SDK in one call. Returns at once
 * (no await needed, so it also runs from --require); `ready` says when the
 * metrics endpoint listens. Invalid options throw an OptionsError naming each
 * bad option. AGENT_CANARY_DISABLED=1 turns it off: sessions then run the
 * baseline with no routing, guards or telemetry.
 */
export function register(options: RegisterOptions): AgentCanaryHandle {
  const env = process.env;
  const o = parseRegisterOptions(withMetricsFromEnv(options, env));
  if (getDefaultRuntime()) {
    throw new Error("agent-canary is already registered in this process; call shutdown() on the first handle before registering again");
  }
  const logger = o.logger ?? consoleLogger;
  if (env.AGENT_CANARY_DISABLED === "1") return disabledHandle(o);
  const store: RolloutStore | undefined = typeof o.store === "string" ? new LazyStore(storeSpecOf(o.store)) : o.store;
  const instrumentation = new AgentCanaryInstrumentation({
    prices: o.prices,
    enabled: o.autoInstrument,
    deployment: o.deployment,
    ...(o.logger ? { logger: o.logger } : {}),
  });
  const problems: string[] = [];
  let sdk: OwnSdk | undefined;
  let gateInputs: GateInputs | undefined;
  if (o.startSdk) {
    if (otherSdkRegistered()) {
      const conflict = apiVersionConflict();
      logger.warn(
        `an OpenTelemetry SDK is already registered in this process: agent-canary records through the one register() starts${
          conflict ? ` (it could not use the app's: ${conflict})` : "; pass startSdk: false to record through the app's SDK instead"
        }`,
      );
    }
    gateInputs = new GateInputs(o.deployment, o.retainEndedRolloutSeconds * 1000);
    sdk = startOwnSdk(o, env, instrumentation, gateInputs);
  } else {
    const conflict = apiVersionConflict();
    if (conflict) {
      logger.error(conflict);
      problems.push("spans and metrics are lost (OpenTelemetry API version conflict, see above)");
    }
  }
  if (o.autoInstrument) instrumentLoadedSdks(instrumentation);
  const providers = sdk ? { tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider } : {};
  const runtime = new AgentCanary({ ...o, store, ...providers }, gateInputs ? { gateInputs } : {});
  setDefaultRuntime(runtime);

  const serving: Promise<MetricsServer | undefined> = sdk?.prometheus
    ? serveMetrics(sdk.prometheus, o.metrics.host, o.metrics.port).catch((error: unknown) => {
        problems.push(`metrics are not served: ${errorMessage(error)}`);
        return undefined;
      })
    : Promise.resolve(undefined);
  const ready = serving.then((server) => {
    const summary = startupSummary(o, runtime, server, problems);
    if (problems.length > 0) logger.error(summary);
    else logger.info(summary);
    return { metricsUrl: server?.url, problems };
  });

  let shutdown: Promise<void> | undefined;
  return {
    runtime,
    instrumentation,
    ready,
    session: (init, fn) => runtime.session(init, fn),
    shutdown: () =>
      (shutdown ??= (async () => {
        if (getDefaultRuntime() === runtime) setDefaultRuntime(undefined);
        await runtime.close();
        instrumentation.disable();
        const server = await serving;
        const [, sdkProblems] = await Promise.all([
          server?.close(),
          sdk?.shutdown(o.shutdownTimeoutMs),
          typeof o.store === "string" ? closeStore(store, o.shutdownTimeoutMs) : undefined,
        ]);
        const left = [...(sdkProblems ?? [])];
        if (left.length > 0) logger.warn(`shutdown could not finish cleanly: ${left.join("; ")}`);
      })()),
  };
}

/** The metrics port and host from AGENT_CANARY_METRICS_PORT/_HOST, where the options leave them unset. */
function withMetricsFromEnv(options: RegisterOptions, env: NodeJS.ProcessEnv): unknown {
  if (typeof options !== "object" || options === null) return options;
  const metrics = typeof options.metrics === "object" && options.metrics !== null ? options.metrics : {};
  const unset = { port: metrics.port === undefined, host: metrics.host === undefined };
  return { ...options, metrics: { ...metricsFromEnv(env, unset), ...metrics } };
}

async function closeStore(store: RolloutStore | undefined, timeoutMs: number): Promise<void> {
  await settleWithin(store?.close().catch(() => undefined) ?? Promise.resolve(), timeoutMs);
}

/** AGENT_CANARY_DISABLED=1: sessions run the declared baseline; nothing is hooked, started or recorded. */
function disabledHandle(o: ParsedRegisterOptions): AgentCanaryHandle {
  const runtime = new AgentCanary(
    { ...o, store: undefined },
    { disabled: `AGENT_CANARY_DISABLED=1: agent-canary is off for deployment ${o.deployment}; sessions run the baseline with no routing, guards or telemetry` },
  );
  setDefaultRuntime(runtime);
  return {
    runtime,
    instrumentation: new AgentCanaryInstrumentation({ enabled: false }),
    ready: Promise.resolve({ metricsUrl: undefined, problems: [] }),
    session: (init, fn) => runtime.session(init, fn),
    shutdown: async () => {
      if (getDefaultRuntime() === runtime) setDefaultRuntime(undefined);
      await runtime.close();
    },
  };
}

/** One line at start saying what was set up, so a misconfiguration shows in the first log line. */
function startupSummary(o: ParsedRegisterOptions, runtime: AgentCanary, server: MetricsServer | undefined, problems: readonly string[]): string {
  const { baseline, canary } = runtime.versions;
  const versions = `baseline ${baseline.hash}${canary ? `, canary ${canary.hash}` : ""}`;
  const state = typeof o.store === "string" ? `from ${o.store}` : o.store ? "from the given store" : "not used (all sessions run the baseline)";
  const summary = `deployment ${o.deployment}: ${versions}; rollout state ${state}; metrics ${metricsTarget(o, server)}`;
  return problems.length > 0 ? `${summary}; NOT WORKING: ${problems.join("; ")}` : summary;
}

function metricsTarget(o: ParsedRegisterOptions, server: MetricsServer | undefined): string {
  if (server) return `on ${server.url}`;
  if (!o.startSdk) return "through the app's own OpenTelemetry SDK";
  const exporter = metricsExporterKind(o, process.env);
  return exporter === "none" ? "off (exporter none)" : exporter === "prometheus" ? "not served" : `over ${exporter}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

