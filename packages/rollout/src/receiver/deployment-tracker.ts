import type { RolloutState, RolloutStore, StateEvent } from "@agent-canary/rollout-state";
import type { FastifyBaseLogger } from "fastify";

interface Watched {
  stop: () => void;
  state: RolloutState | undefined;
  /** Why the last event was not a state, fit for an unauthenticated reader (no paths). */
  problem: string | undefined;
  /** The rollout id of the last state seen, to notice a new rollout starting. */
  rolloutId: string | null | undefined;
}

export interface TrackerOptions {
  /** Deployments to follow; empty: every deployment the store lists. */
  allowed: ReadonlySet<string>;
  /** How often the store is listed for new deployments. */
  relistMs: number;
  /** How far the writer's clock may be ahead before it is worth a warning. */
  skewMs: number;
  now: () => Date;
  log: FastifyBaseLogger;
}

/**
 * Follows the rollout state of every managed deployment through the store's watch, so
 * /metrics (rollout info, percent, phase) never waits on the store, and the receiver knows
 * when it saw each rollout begin, a clock it trusts more than that of the host which ran
 * `rollout start` (see alert-scope.ts).
 */
export class DeploymentTracker {
  private readonly watched = new Map<string, Watched>();
  /** `<deployment> <rollout id>` → when this receiver saw that rollout appear, if it saw it happen. */
  private readonly observedStarts = new Map<string, number>();
  private readonly warnedAhead = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private listedOnce = false;
  readonly ready: Promise<void>;

  constructor(
    private readonly store: RolloutStore,
    private readonly options: TrackerOptions,
  ) {
    this.ready = this.relist();
    this.timer = setInterval(() => void this.relist(), options.relistMs);
    this.timer.unref();
  }

  /** The last valid state of each followed deployment. */
  states(): RolloutState[] {
    return [...this.watched.values()].flatMap((w) => (w.state ? [w.state] : []));
  }

  /** Followed deployments whose state cannot be used now, and why. */
  problems(): { deployment: string; problem: string }[] {
    return [...this.watched.entries()].flatMap(([deployment, w]) => (w.problem ? [{ deployment, problem: w.problem }] : []));
  }

  /** When this receiver saw the state's rollout appear, if it was watching when it did. */
  observedStart(state: RolloutState): number | undefined {
    return state.rolloutId ? this.observedStarts.get(`${state.deployment} ${state.rolloutId}`) : undefined;
  }

  /** A state this receiver wrote itself: known at once, without waiting for the watch. */
  observe(state: RolloutState): void {
    const watched = this.watched.get(state.deployment);
    if (watched) this.onState(state.deployment, watched, state);
  }

  stop(): void {
    clearInterval(this.timer);
    for (const w of this.watched.values()) w.stop();
    this.watched.clear();
  }

  private async relist(): Promise<void> {
    let names: string[];
    try {
      names = await this.store.list();
    } catch (error) {
      this.options.log.warn({ err: error }, "could not list the store's deployments; retrying");
      return;
    }
    const initial = !this.listedOnce;
    this.listedOnce = true;
    const firstEvents: Promise<void>[] = [];
    for (const deployment of names) {
      if (this.watched.has(deployment) || (this.options.allowed.size > 0 && !this.options.allowed.has(deployment))) continue;
      let resolveFirst: () => void = () => undefined;
      firstEvents.push(new Promise((resolve) => (resolveFirst = resolve)));
      // A deployment that appears after the first listing was created while we watched (up to relistMs late).
      const watched: Watched = { stop: () => undefined, state: undefined, problem: undefined, rolloutId: initial ? undefined : null };
      this.watched.set(deployment, watched);
      watched.stop = this.store.watch(deployment, (event) => {
        this.onEvent(deployment, watched, event);
        resolveFirst();
      });
    }
    // Bounded: a store that does not answer must not hold back the receiver's start.
    await Promise.race([Promise.all(firstEvents), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  }

  private onEvent(deployment: string, watched: Watched, event: StateEvent): void {
    if (event.kind === "state") return this.onState(deployment, watched, event.state);
    watched.problem = event.kind === "missing" ? "no rollout state" : `${event.kind}: ${publicReason(event.error)}`;
    if (event.kind === "missing") watched.state = undefined;
    if (event.kind === "missing") watched.rolloutId = null;
  }

  private onState(deployment: string, watched: Watched, state: RolloutState): void {
    // Only a newer revision replaces what we know: our own write may arrive before its watch event.
    if (watched.state && watched.state.revision > state.revision) return;
    watched.state = state;
    watched.problem = undefined;
    const nowMs = this.options.now().getTime();
    if (state.rolloutId && watched.rolloutId !== undefined && watched.rolloutId !== state.rolloutId) {
      this.observedStarts.set(`${deployment} ${state.rolloutId}`, nowMs);
    }
    watched.rolloutId = state.rolloutId;
    this.warnIfAhead(state, nowMs);
  }

  private warnIfAhead(state: RolloutState, nowMs: number): void {
    if (!state.rolloutStartedAt || !state.rolloutId) return;
    const aheadMs = Date.parse(state.rolloutStartedAt) - nowMs;
    const key = `${state.deployment} ${state.rolloutId}`;
    if (aheadMs <= this.options.skewMs || this.warnedAhead.has(key)) return;
    this.warnedAhead.add(key);
    this.options.log.warn(
      { deployment: state.deployment, rolloutId: state.rolloutId, rolloutStartedAt: state.rolloutStartedAt, aheadSeconds: Math.round(aheadMs / 1000) },
      "the rollout's start time is ahead of this receiver's clock: the host that ran `rollout start` has a clock ahead (check NTP there). Alerts without a rollout_id label are not judged stale against it",
    );
  }
}

/** An error as an unauthenticated reader may see it: no paths, no bytes of a file. */
export function publicReason(error: Error): string {
  const withPublic = error as Error & { publicMessage?: string };
  if (typeof withPublic.publicMessage === "string") return withPublic.publicMessage;
  if (error.name === "StoreUnavailableError") return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `store error ${code}` : "store error";
}
