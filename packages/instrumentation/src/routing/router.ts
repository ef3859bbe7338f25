import { bucketOf, isCanaryBucket, type VersionGroup } from "@agent-canary/conventions";
import type { RolloutState, RolloutStore, StateEvent } from "@agent-canary/rollout-state";
import type { OnceLogger } from "../telemetry/logger.js";
import type { DeclaredVersion, DeclaredVersions } from "../version/declared.js";
import { type Pin, PinTable } from "./pin-table.js";

/** Why a new session was sent to baseline without consulting the percent (fail closed). */
export type RoutingFailure = "missing" | "invalid" | "unavailable" | "unknown_version";

export interface Assignment {
  group: VersionGroup;
  version: DeclaredVersion;
  /** The routing failure that forced baseline, if any. */
  failure?: RoutingFailure;
  /** Set when the session id was already pinned in this process. */
  resumed: boolean;
  pin: Pin;
}

export interface RouterOptions {
  deployment: string;
  /** Without a store every session runs the declared baseline: there is no rollout. */
  store?: RolloutStore | undefined;
  versions: DeclaredVersions;
  /** Bound of the pin table (see PinTable). */
  maxPins: number;
  /** How long a session start waits for the first state before failing closed. */
  stateTimeoutMs: number;
  log: OnceLogger;
  onFailure: (reason: RoutingFailure) => void;
  /** Told of every valid state, so running canary sessions can be drained after a rollback. */
  onState: (state: RolloutState) => void;
}

type Current = { kind: "state"; state: RolloutState } | { kind: "failed"; reason: RoutingFailure; detail: string };

/**
 * Decides baseline or canary for each session from the rollout state, which it
 * follows through `store.watch`. Pins every decision for the session's life.
 */
export class Router {
  private readonly pins: PinTable;
  private current: Current | undefined;
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

  /** The last valid state, or undefined while failing closed. */
  get state(): RolloutState | undefined {
    return this.current?.kind === "state" ? this.current.state : undefined;
  }

  async assign(sessionId: string, tenant: string | undefined): Promise<Assignment> {
    await this.waitForFirstState();
    const pinned = this.pins.get(sessionId);
    if (pinned && !this.drainIsOver(pinned)) {
      const version = this.options.versions.get(pinned.versionHash);
      if (version) return { group: pinned.group, version, resumed: true, pin: pinned };
    }
    const decided = this.decide(sessionId, tenant);
    const pin: Pin = { group: decided.group, versionHash: decided.version.hash };
    this.pins.set(sessionId, pin);
    return { ...decided, resumed: false, pin };
  }

  /** A capability flag for a session: its own salted bucket, decided once and pinned. */
  capability(sessionId: string, pin: Pin, name: string): boolean {
    const known = pin.capabilities?.get(name);
    if (known !== undefined) return known;
    const cap = this.state?.capabilities[name];
    const on =
      cap !== undefined && cap.enabled && isCanaryBucket(bucketOf(sessionId, `${this.state?.salt ?? ""}:${name}`), cap.percent);
    (pin.capabilities ??= new Map()).set(name, on);
    return on;
  }

  /** Epoch ms after which canary sessions must have ended, when the rollout is rolled back. */
  drainDeadline(): number | undefined {
    const state = this.state;
    if (!state || state.phase !== "rolled_back" || !state.rolledBackAt) return undefined;
    return Date.parse(state.rolledBackAt) + state.drainTimeoutSeconds * 1000;
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.resolveFirst();
  }

  private decide(sessionId: string, tenant: string | undefined): Omit<Assignment, "resumed" | "pin"> {
    const { versions } = this.options;
    if (!this.options.store) return { group: "baseline", version: versions.baseline };
    const current = this.current;
    if (!current || current.kind === "failed") {
      const reason = current?.reason ?? "unavailable";
      this.fail(reason, current?.detail ?? "the router was closed before any rollout state arrived");
      return { group: "baseline", version: versions.baseline, failure: reason };
    }
    const { state } = current;
    const baseline = this.baselineOf(state);
    if (!state.canary || !this.wantsCanary(sessionId, tenant, state)) return { group: "baseline", version: baseline };
    const canary = versions.get(state.canary.hash);
    if (!canary) {
      this.fail(
        "unknown_version",
        `the rollout state names canary ${state.canary.hash}, which this process does not declare (declared: ${[versions.baseline.hash, versions.canary?.hash].filter(Boolean).join(", ")}); deploy the canary version to this replica`,
      );
      return { group: "baseline", version: baseline, failure: "unknown_version" };
    }
    return { group: "canary", version: canary };
  }

  private wantsCanary(sessionId: string, tenant: string | undefined, state: RolloutState): boolean {
    // After a rollback no new session starts on the canary, tenant overrides included.
    if (state.phase === "rolled_back") return false;
    const override = tenant === undefined ? undefined : state.tenantOverrides[tenant];
    if (override === "always") return true;
    if (override === "never") return false;
    return isCanaryBucket(bucketOf(sessionId, state.salt), state.canaryPercent);
  }

  private baselineOf(state: RolloutState): DeclaredVersion {
    const declared = this.options.versions.get(state.baseline.hash);
    if (declared) return declared;
    this.options.log.warnOnce(
      `baseline:${state.baseline.hash}`,
      `the rollout state's baseline ${state.baseline.hash} is not declared in this process; running the declared baseline ${this.options.versions.baseline.hash}`,
    );
    return this.options.versions.baseline;
  }

  /** A canary pin outlives a rollback only until the drain deadline; after it, the id is routed afresh. */
  private drainIsOver(pin: Pin): boolean {
    if (pin.group !== "canary") return false;
    const deadline = this.drainDeadline();
    return deadline !== undefined && Date.now() >= deadline;
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
        this.current = event;
        // A valid state clears earlier failures: the next failure is worth a new warning.
        for (const reason of ["missing", "invalid", "unavailable", "unknown_version"] as const) this.options.log.forget(`routing:${reason}`);
        this.options.onState(event.state);
      }
    } else if (event.kind === "missing") {
      this.current = { kind: "failed", reason: "missing", detail: "no rollout state is stored for it; start one with `agent-canary rollout start`" };
    } else {
      this.current = { kind: "failed", reason: "invalid", detail: event.error.message };
    }
    this.resolveFirst();
  }

  private async waitForFirstState(): Promise<void> {
    if (this.current || !this.options.store) return;
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
