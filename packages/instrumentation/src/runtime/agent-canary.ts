import type { RolloutState } from "@agent-canary/rollout-state";
import { context, metrics, trace } from "@opentelemetry/api";
import { PriceBook } from "../cost/prices.js";
import { OptionsError } from "../options-error.js";
import { type Assignment, Router, type RoutingFailure } from "../routing/router.js";
import { sessionStorage } from "../session/context.js";
import type { SessionServices } from "../session/services.js";
import { AgentSession, type SessionInit } from "../session/session.js";
import { consoleLogger, OnceLogger } from "../telemetry/logger.js";
import { Instruments } from "../telemetry/metrics.js";
import { makeSafely } from "../telemetry/safely.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../version.js";
import { DeclaredVersions } from "../version/declared.js";
import { type AgentCanaryOptions, parseAgentCanaryOptions, SessionInitSchema } from "./options.js";

/**
 * The agent side of a rollout in one object: it routes sessions between the
 * declared baseline and canary versions following the rollout state, runs
 * them with their guards, and records their spans and metrics.
 */
export class AgentCanary {
  readonly deployment: string;
  readonly versions: DeclaredVersions;
  private readonly services: SessionServices;
  private readonly router: Router;
  private readonly active = new Set<AgentSession>();
  private closed = false;

  constructor(options: AgentCanaryOptions) {
    const o = parseAgentCanaryOptions(options);
    this.deployment = o.deployment;
    this.versions = new DeclaredVersions(o.versions);
    const tracer = (o.tracerProvider ?? trace).getTracer(PACKAGE_NAME, PACKAGE_VERSION);
    const instruments = new Instruments((o.meterProvider ?? metrics).getMeter(PACKAGE_NAME, PACKAGE_VERSION));
    const log = new OnceLogger(o.logger ?? consoleLogger);
    this.router = new Router({
      deployment: o.deployment,
      store: o.store,
      versions: this.versions,
      maxPins: o.maxPinnedSessions,
      stateTimeoutMs: o.stateTimeoutMs,
      log,
      onFailure: (reason: RoutingFailure) => instruments.record("routingFailures", 1, { deployment: o.deployment, reason }),
      onState: (state) => this.onState(state),
    });
    this.services = {
      deployment: o.deployment,
      agentName: o.agentName ?? o.deployment,
      tracer,
      instruments,
      log,
      safely: makeSafely(instruments, log),
      guards: o.guards,
      prices: new PriceBook(o.prices, { includeDefaults: o.defaultPrices }),
      router: this.router,
    };
    this.router.start();
  }

  /** The rollout state the router follows, undefined while it fails closed. */
  get rolloutState(): RolloutState | undefined {
    return this.router.state;
  }

  get activeSessions(): number {
    return this.active.size;
  }

  /**
   * Runs `fn` as one agent session. Every LLM call the openai or anthropic SDK
   * makes inside it (and every `s.tool()`) is recorded as a turn of this
   * session, in its group and version. Resolves with what `fn` returns;
   * rethrows what it throws (guard errors included) after recording the outcome.
   */
  async session<T>(init: SessionInit, fn: (session: AgentSession) => Promise<T> | T): Promise<T> {
    if (this.closed) throw new Error(`AgentCanary for deployment "${this.deployment}" is closed; create a new one or call register() again`);
    const parsed = SessionInitSchema.safeParse(init);
    if (!parsed.success) throw OptionsError.fromZod("session options", parsed.error);
    const assignment = await this.assign(parsed.data);
    const session = new AgentSession(parsed.data, assignment, this.services);
    this.active.add(session);
    this.services.safely("session-start", () => this.recordStart(session, assignment), undefined);
    try {
      const result = await sessionStorage.run(session, () => context.with(session.traceContext, () => fn(session)));
      session.finish(undefined);
      return result;
    } catch (error) {
      session.finish(error);
      throw error;
    } finally {
      this.active.delete(session);
    }
  }

  /** Stops following the rollout state. Running sessions finish normally. */
  async close(): Promise<void> {
    this.closed = true;
    this.router.close();
  }

  private async assign(init: { id: string; tenant?: string | undefined }): Promise<Assignment> {
    try {
      return await this.router.assign(init.id, init.tenant);
    } catch (error) {
      // Routing must never stop the agent: count it and run the baseline.
      this.services.safely.report("routing", error);
      const version = this.versions.baseline;
      return { group: "baseline", version, resumed: false, pin: { group: "baseline", versionHash: version.hash } };
    }
  }

  private recordStart(session: AgentSession, assignment: Assignment): void {
    this.services.instruments.record("activeSessions", 1, session.metricLabels);
    // A resumed id keeps its earlier assignment: only new ones are counted.
    if (!assignment.resumed) this.services.instruments.record("routingAssignments", 1, session.metricLabels);
    const state = this.router.state;
    session.setDrainDeadline(this.router.drainDeadline(), state?.drainTimeoutSeconds ?? 0);
  }

  /** A rollback starts the drain clock of every canary session still running. */
  private onState(state: RolloutState): void {
    const deadline = this.router.drainDeadline();
    for (const session of this.active) session.setDrainDeadline(deadline, state.drainTimeoutSeconds);
  }
}
