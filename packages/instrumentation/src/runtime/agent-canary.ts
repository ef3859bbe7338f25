import type { RolloutState } from "@agent-canary/rollout-state";
import { canaryPercentLabel } from "@agent-canary/conventions";
import { createNoopMeter, metrics, ProxyTracerProvider, trace } from "@opentelemetry/api";
import { PriceBook } from "../cost/prices.js";
import { type Assignment, Router, type RoutingFailure, type VersionCatalog } from "../routing/router.js";
import { NO_ROLLOUT, rolloutIdOf } from "../routing/strata.js";
import { runInSession } from "../session/context.js";
import type { SessionServices } from "../session/services.js";
import { AgentSession, type SessionInit } from "../session/session.js";
import { observeGateInputs } from "../telemetry/gate-inputs/export.js";
import { type Arm, GateInputs } from "../telemetry/gate-inputs/gate-inputs.js";
import { consoleLogger, OnceLogger } from "../telemetry/logger.js";
import { Instruments } from "../telemetry/metrics.js";
import { makeSafely } from "../telemetry/safely.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../version.js";
import { DeclaredVersions } from "../version/declared.js";
import { type AgentCanaryOptions, parseAgentCanaryOptions } from "./options.js";
import { normaliseSessionInit } from "./session-init.js";

/** Set by register() and the stand-ins for a missing or disabled registration; not part of the public options. */
export interface RuntimeInternals {
  /** Gate inputs already exported by a metric reader register() created (else: observable counters on the meter). */
  gateInputs?: GateInputs;
  /** Run every session on the baseline, recording nothing; the text says why, once. */
  disabled?: string;
  /** Versions to route to instead of options.versions (a process that declared none). */
  versions?: VersionCatalog;
}

/** A tracer whose spans go nowhere, for disabled runtimes: a proxy that is never given a delegate. */
const noopTracer = new ProxyTracerProvider().getTracer(PACKAGE_NAME);

/**
 * The agent side of a rollout in one object: it routes sessions between the
 * declared baseline and canary versions following the rollout state, runs
 * them with their guards, and records their spans and metrics.
 */
export class AgentCanary {
  readonly deployment: string;
  readonly versions: VersionCatalog;
  private readonly services: SessionServices;
  private readonly router: Router;
  private readonly gateInputs: GateInputs;
  private readonly active = new Set<AgentSession>();
  private closed = false;
  private afterClose: AgentCanary | undefined;

  constructor(options: AgentCanaryOptions, internals: RuntimeInternals = {}) {
    const o = parseAgentCanaryOptions(options);
    const disabled = internals.disabled !== undefined;
    this.deployment = o.deployment;
    this.versions = internals.versions ?? new DeclaredVersions(o.versions);
    const log = new OnceLogger(o.logger ?? consoleLogger);
    const meter = disabled ? createNoopMeter() : (o.meterProvider ?? metrics).getMeter(PACKAGE_NAME, PACKAGE_VERSION);
    const instruments = new Instruments(meter);
    const safely = makeSafely(instruments, log);
    this.gateInputs = internals.gateInputs ?? new GateInputs(o.deployment, o.retainEndedRolloutSeconds * 1000);
    if (!internals.gateInputs) safely("gate-inputs", () => observeGateInputs(meter, this.gateInputs), undefined);
    this.router = new Router({
      deployment: o.deployment,
      store: disabled ? undefined : o.store,
      versions: this.versions,
      maxPins: o.maxPinnedSessions,
      stateTimeoutMs: o.stateTimeoutMs,
      log,
      onFailure: (reason: RoutingFailure) => instruments.record("routingFailures", 1, { deployment: o.deployment, reason }),
      onState: (state) => safely("rollout-state", () => this.onState(state), undefined),
    });
    this.services = {
      deployment: o.deployment,
      agentName: o.agentName ?? o.deployment,
      tracer: disabled ? noopTracer : (o.tracerProvider ?? trace).getTracer(PACKAGE_NAME, PACKAGE_VERSION),
      instruments,
      gateInputs: this.gateInputs,
      log,
      safely,
      // A disabled agent-canary must not end sessions: no guard trips.
      guards: disabled ? { ...o.guards, mode: "record", loop: { ...o.guards.loop, enabled: false } } : o.guards,
      prices: new PriceBook(o.prices, { includeDefaults: o.defaultPrices }),
      router: this.router,
    };
    if (internals.disabled) log.logger.warn(internals.disabled);
    this.router.start();
  }

  /** The rollout state the router follows, undefined while it fails closed. */
  get rolloutState(): RolloutState | undefined {
    return this.router.state;
  }

  /** Resolves once the router has heard from the store (a state, or why there is none); at once without a store. */
  get ready(): Promise<void> {
    return this.router.firstState;
  }

  get activeSessions(): number {
    return this.active.size;
  }

  /**
   * Runs `fn` as one agent session. Every LLM call the openai or anthropic SDK
   * makes inside it (and every `s.tool()`) is recorded as a turn of this
   * session, in its group and version. Resolves with what `fn` returns;
   * rethrows what it throws (guard errors included) after recording the
   * outcome. Never throws on its own account: an odd id is made usable and
   * warned about, a closed runtime runs the baseline.
   */
  async session<T>(init: SessionInit, fn: (session: AgentSession) => Promise<T> | T): Promise<T> {
    if (this.closed) return this.closedStandIn().session(init, fn);
    const request = normaliseSessionInit(init, (key, message) => this.services.log.warnOnce(key, message));
    const assignment = await this.assign(request);
    const session = new AgentSession(request, assignment, this.services);
    this.active.add(session);
    this.services.safely("session-start", () => this.recordStart(session, assignment), undefined);
    // Inline rather than a helper: one async frame fewer per live session (about 0.4 KiB, see bench/results/memory.md).
    try {
      const result = await runInSession(session, () => fn(session));
      session.finish(undefined);
      return result;
    } catch (error) {
      session.finish(error);
      throw error;
    } finally {
      this.active.delete(session);
    }
  }

  /** Stops following the rollout state. Running sessions finish normally; later ones run the baseline, unrecorded. */
  async close(): Promise<void> {
    this.closed = true;
    this.router.close();
  }

  private closedStandIn(): AgentCanary {
    return (this.afterClose ??= new AgentCanary(
      { deployment: this.deployment, versions: { baseline: { model: "unused" } }, logger: this.services.log.logger },
      {
        versions: { baseline: this.versions.baseline, canary: undefined, get: (hash) => (hash === this.versions.baseline.hash ? this.versions.baseline : undefined) },
        disabled: `agent-canary for deployment "${this.deployment}" was closed (shutdown); sessions now run the baseline ${this.versions.baseline.hash} with no routing, guards or telemetry`,
      },
    ));
  }

  private async assign(request: SessionInit): Promise<Assignment> {
    try {
      return await this.router.assign(request);
    } catch (error) {
      // Routing must never stop the agent: count it and run the baseline.
      this.services.safely.report("routing", error);
      const version = this.versions.baseline;
      return { group: "baseline", version, resumed: false, pin: { group: "baseline", versionHash: version.hash, stratum: NO_ROLLOUT } };
    }
  }

  private recordStart(session: AgentSession, assignment: Assignment): void {
    this.services.instruments.record("activeSessions", 1, session.metricLabels);
    // A resumed id keeps its earlier assignment: only new ones are counted.
    if (!assignment.resumed) this.services.instruments.record("routingAssignments", 1, session.metricLabels);
    session.setDrainDeadline(this.router.drainDeadline(), this.router.state?.drainTimeoutSeconds ?? 0);
  }

  /**
   * Every valid state: the gate-input series of the rollout exist from now
   * (both arms, every stage percent and the current one), and a rollback
   * starts the drain clock of every canary session still running.
   */
  private onState(state: RolloutState): void {
    const rolloutId = rolloutIdOf(state);
    const arms: Arm[] = [{ group: "baseline", hash: this.router.baselineOf(state).hash }];
    if (state.canary) arms.push({ group: "canary", hash: state.canary.hash });
    const percents = new Set([...state.stages.map((s) => s.percent), state.canaryPercent].map(canaryPercentLabel));
    this.gateInputs.follow(rolloutId, arms, [...percents]);
    const deadline = this.router.drainDeadline();
    for (const session of this.active) session.setDrainDeadline(deadline, state.drainTimeoutSeconds);
  }
}
