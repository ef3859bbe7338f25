import { routingSlotOf, isCanarySlot, type VersionGroup } from "@agent-canary/conventions";
import type { RolloutState, RolloutStore, StateEvent } from "@agent-canary/rollout-state";
import type { OnceLogger } from "../telemetry/logger.js";
import type { DeclaredVersion, DeclaredVersions } from "../version/declared.js";
import { RollbackClock } from "./rollback-clock.js";
import { type Pin, PinTable } from "./pin-table.js";
import { NO_ROLLOUT, type Stratum, StateStrata } from "./strata.js";

/** Why a new session was sent to baseline without consulting the percent (fail closed). */
export type RoutingFailure = "missing" | "invalid" | "unavailable" | "unknown_version";

/** The versions a router can route to (DeclaredVersions, or a runtime's stand-in when none are declared). */
export type VersionCatalog = Pick<DeclaredVersions, "baseline" | "canary" | "get">;

export interface Assignment {
  group: VersionGroup;
  version: DeclaredVersion;
  /** The routing failure that forced baseline, if any. */
  failure?: RoutingFailure;
  /** Set when the session id was already pinned in this process. */
  resumed: boolean;
  pin: Pin;
}

type Decision = Omit<Assignment, "resumed" | "pin"> & { stratum: Stratum };

/** What a session is routed by. */
export interface RoutingRequest {
  /** Pins key on it; routing hashes it unless a routing key is given. */
  id: string;
  tenant?: string | undefined;
  /** Hashed instead of the id: every session with this key lands in the same group. */
  routingKey?: string | undefined;
}

export interface RouterOptions {
  deployment: string;
  /** Without a store every session runs the declared baseline: there is no rollout. */
  store?: RolloutStore | undefined;
  versions: VersionCatalog;
  /** Bound of the pin table (see PinTable). */
  maxPins: number;
  /** How long a session start waits for the first state before failing closed. */
  stateTimeoutMs: number;
  log: OnceLogger;
  onFailure: (reason: RoutingFailure) => void;
  /** Told of every valid state, so running canary sessions can be drained after a rollback. */
  onState: (state: RolloutState) => void;
}

type Current = { kind: "state"; state: RolloutState; strata: StateStrata } | { kind: "failed"; reason: RoutingFailure; detail: string };

/**
 * Decides baseline or canary for each session from the rollout state, which it
 * follows through `store.watch`. Pins every decision for the session's life.
 */
export class Router {
  private readonly pins: PinTable;
  private current: Current | undefined;
  /** The strata of the last valid state: fail-closed sessions are labelled with its rollout. */
  private lastStrata: StateStrata | undefined;
  private readonly rollbackClock = new RollbackClock();
  private unsubscribe: (() => void) | undefined;
  private readonly firstEvent: Promise<void>;
  private resolveFirst: () => void = () => undefined;

  constructor(private readonly options: RouterOptions) {
    this.pins = new PinTable(options.maxPins);
    this.firstEvent = new Promise((resolve) => {
      this.resolveFirst = resolve;
    });
    if (!options.store) this.resolveFirst();
  }

  start(): void {
    if (!this.options.store || this.unsubscribe) return;
    try {
      this.unsubscribe = this.options.store.watch(this.options.deployment, (event) => this.onEvent(event));
    } catch (error) {
      // A store that cannot even be watched cannot be read: fail closed instead of stopping the agent.
      const message = error instanceof Error ? error.message : String(error);
      this.current = { kind: "failed", reason: "unavailable", detail: `the store's watch() threw: ${message}` };
      this.resolveFirst();
    }
  }

  /** Resolves once the store has said something (a state, or why there is none); at once without a store. */
  get firstState(): Promise<void> {
    return this.firstEvent;
  }

  /** The last valid state, or undefined while failing closed. */
  get state(): RolloutState | undefined {
    return this.current?.kind === "state" ? this.current.state : undefined;
  }

  async assign(request: RoutingRequest): Promise<Assignment> {
    const current = await this.settledState();
    const pinned = this.pins.get(request.id);
    if (pinned && !this.drainIsOver(pinned)) {
      const version = this.options.versions.get(pinned.versionHash);
      if (version) return { group: pinned.group, version, resumed: true, pin: pinned };
    }
    const { stratum, ...decided } = this.decide(request, current);
    const pin: Pin = { group: decided.group, versionHash: decided.version.hash, stratum };
    this.pins.set(request.id, pin);
    return { ...decided, resumed: false, pin };
  }

  /** A capability flag for a session: its own salted slot, decided once and pinned. */
  capability(sessionId: string, pin: Pin, name: string): boolean {
    const known = pin.capabilities?.get(name);
    if (known !== undefined) return known;
    const on = this.capabilityOn(sessionId, name);
    (pin.capabilities ??= new Map()).set(name, on);
    return on;
  }

  /** Off while failing closed (no state to read the capability from); else by the session's slot under the state's salt. */
  private capabilityOn(sessionId: string, name: string): boolean {
    const state = this.state;
    if (!state) return false;
    const cap = state.capabilities[name];
    return cap !== undefined && cap.enabled && isCanarySlot(routingSlotOf(sessionId, `${state.salt}:${name}`), cap.percent);
  }

  /**
   * When canary sessions must have ended after a rollback, on this process's
   * monotonic clock (performance.now() ms); undefined without a rollback.
   */
  drainDeadline(): number | undefined {
    return this.rollbackClock.deadline();
  }

  /** The hash sessions of `state`'s baseline arm carry in this process. */
  baselineOf(state: RolloutState): DeclaredVersion {
    const declared = this.options.versions.get(state.baseline.hash);
    if (declared) return declared;
    this.options.log.warnOnce(
      `baseline:${state.baseline.hash}`,
      `the rollout state's baseline ${state.baseline.hash} is not declared in this process; running the declared baseline ${this.options.versions.baseline.hash}`,
    );
    return this.options.versions.baseline;
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    // Sessions waiting for a first state, and any started later, fail closed saying why.
    this.current ??= { kind: "failed", reason: "unavailable", detail: "the router was closed before any rollout state arrived" };
    this.resolveFirst();
  }

  /** `current` is undefined only without a store. */
  private decide(request: RoutingRequest, current: Current | undefined): Decision {
    const { versions } = this.options;
    if (!current) return { group: "baseline", version: versions.baseline, stratum: NO_ROLLOUT };
    if (current.kind === "failed") {
      this.fail(current.reason, current.detail);
      return { group: "baseline", version: versions.baseline, failure: current.reason, stratum: StateStrata.failClosed(this.lastStrata) };
    }
    const { state, strata } = current;
    const baseline = this.baselineOf(state);
    if (!state.canary) return { group: "baseline", version: baseline, stratum: NO_ROLLOUT };
    const { wantsCanary, stratum } = this.split(request, state, strata);
    if (!wantsCanary) return { group: "baseline", version: baseline, stratum };
    const canary = versions.get(state.canary.hash);
    if (!canary) {
      this.fail(
        "unknown_version",
        `the rollout state names canary ${state.canary.hash}, which this process does not declare (declared: ${[versions.baseline.hash, versions.canary?.hash].filter(Boolean).join(", ")}); deploy the canary version to this replica`,
      );
      return { group: "baseline", version: baseline, failure: "unknown_version", stratum: strata.failClosed };
    }
    return { group: "canary", version: canary, stratum };
  }

  /** Which group a session of a rollout with a canary wants, and the stratum that choice puts it in. */
  private split(request: RoutingRequest, state: RolloutState, strata: StateStrata): { wantsCanary: boolean; stratum: Stratum } {
    // After a rollback no new session starts on the canary, tenant overrides included; the percent is 0.
    if (state.phase === "rolled_back") return { wantsCanary: false, stratum: strata.split };
    const override = request.tenant === undefined ? undefined : state.tenantOverrides[request.tenant];
    if (override !== undefined) return { wantsCanary: override === "always", stratum: strata.tenantOverride };
    const key = request.routingKey ?? request.id;
    return {
      wantsCanary: isCanarySlot(routingSlotOf(key, state.salt), state.canaryPercent),
      stratum: request.routingKey === undefined ? strata.split : strata.routingKey,
    };
  }

  /** A canary pin outlives a rollback only until the drain deadline; after it, the id is routed afresh. */
  private drainIsOver(pin: Pin): boolean {
    if (pin.group !== "canary") return false;
    const deadline = this.drainDeadline();
    return deadline !== undefined && performance.now() >= deadline;
  }

  private fail(reason: RoutingFailure, detail: string): void {
    this.options.onFailure(reason);
    this.options.log.warnOnce(
      `routing:${reason}`,
      `routing fails closed (${reason}) for deployment ${this.options.deployment}: ${detail}. New sessions run the baseline until a valid rollout state is readable.`,
    );
  }

  private onEvent(event: StateEvent): void {
    if (event.kind === "state") {
      if (event.state.deployment !== this.options.deployment) {
        this.current = {
          kind: "failed",
          reason: "invalid",
          detail: `the state names deployment "${event.state.deployment}", expected "${this.options.deployment}"`,
        };
      } else {
        const strata = new StateStrata(event.state);
        this.current = { kind: "state", state: event.state, strata };
        this.lastStrata = strata;
        this.rollbackClock.observe(event.state);
        // A valid state clears earlier failures: the next failure is worth a new warning.
        for (const reason of ["missing", "invalid", "unavailable", "unknown_version"] as const) this.options.log.forget(`routing:${reason}`);
        this.options.onState(event.state);
      }
    } else if (event.kind === "missing") {
      this.current = { kind: "failed", reason: "missing", detail: "no rollout state is stored for it; start one with `agent-canary rollout start`" };
    } else {
      // `invalid`: a state that does not parse. `unavailable`: the store has not confirmed the state
      // within its staleness bound (Redis hung or disconnected, a hung file system). Both fail closed,
      // each under its own reason, so an outage is not read as a corrupt state.
      this.current = { kind: "failed", reason: event.kind, detail: event.error.message };
    }
    this.resolveFirst();
  }

  /** The state to route by once the store has spoken or the wait timed out; undefined only without a store. */
  private async settledState(): Promise<Current | undefined> {
    if (!this.options.store) return undefined;
    if (!this.current) await this.waitForFirstState();
    return this.current;
  }

  private async waitForFirstState(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.stateTimeoutMs);
      timer.unref();
    });
    await Promise.race([this.firstEvent, timeout]);
    clearTimeout(timer);
    // Later sessions must not each wait again: fail closed until an event arrives.
    this.current ??= { kind: "failed", reason: "unavailable", detail: `no rollout state arrived within ${this.options.stateTimeoutMs} ms (is the store reachable?)` };
  }
}
