import { setTimeout as sleep } from "node:timers/promises";
import { KeyedQueue } from "../keyed-queue.js";
import { RolloutStateSchema, type AuditEntry, type AuditOutcome, type RolloutState } from "../schema.js";
import type { RolloutStore } from "../store.js";
import type { Mutation, TransitionMeta } from "./change.js";

/**
 * Transitions of one deployment through one store object run one at a time. Concurrent
 * callers in a process (50 webhooks about one deployment) would otherwise race each
 * other's compare-and-set, and all but one would retry with backoff, round after round.
 * Queued, each one reads the state the one before it wrote. Other processes and replicas
 * are still ordered by compare-and-set.
 */
const queues = new WeakMap<RolloutStore, KeyedQueue>();
function queueOf(store: RolloutStore): KeyedQueue {
  let queue = queues.get(store);
  if (!queue) {
    queue = new KeyedQueue();
    queues.set(store, queue);
  }
  return queue;
}

export type TransitionResult =
  | { status: "changed"; state: RolloutState; previous: RolloutState | undefined; audit: AuditEntry; conflicts: number }
  | { status: "unchanged"; state: RolloutState | undefined; reason: string; conflicts: number };

export interface TransitionOptions {
  /** Compare-and-set attempts before giving up. Default 20. */
  maxAttempts?: number;
  /** The clock; injectable so tests and the demo control time. */
  now?: () => Date;
}

/** Compare-and-set kept losing to other writers; nothing was written by this call. */
export class TransitionConflictError extends Error {
  override readonly name = "TransitionConflictError";
}

/**
 * Reads the state, applies a pure mutation and writes it by compare-and-set,
 * retrying from a fresh read when another writer got there first. The mutation is
 * re-evaluated on every attempt, so it always judges the state it replaces.
 */
export function transition(
  store: RolloutStore,
  deployment: string,
  mutate: Mutation,
  meta: TransitionMeta,
  options: TransitionOptions = {},
): Promise<TransitionResult> {
  return queueOf(store).run(deployment, () => transitionNow(store, deployment, mutate, meta, options));
}

async function transitionNow(
  store: RolloutStore,
  deployment: string,
  mutate: Mutation,
  meta: TransitionMeta,
  options: TransitionOptions,
): Promise<TransitionResult> {
  const maxAttempts = options.maxAttempts ?? 20;
  const clock = options.now ?? (() => new Date());
  let conflicts = 0;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await store.read(deployment);
    const now = clock();
    const change = mutate(current, now);
    if (change.kind === "unchanged") return { status: "unchanged", state: current, reason: change.reason, conflicts };
    const at = now.toISOString();
    const revision = current ? current.revision + 1 : 0;
    const merged = { ...current, ...change.patch, deployment, revision, updatedAt: at };
    const lastTransition = {
      at,
      by: meta.by,
      action: change.action,
      ...(current ? { fromPhase: current.phase, fromPercent: current.canaryPercent } : {}),
      toPhase: merged.phase,
      toPercent: merged.canaryPercent,
      reason: meta.reason,
      ...(meta.outcome ? { outcome: meta.outcome } : {}),
      ...(change.capability ? { capability: change.capability } : {}),
      ...(meta.details ? { details: meta.details } : {}),
    };
    const next = RolloutStateSchema.parse({ ...merged, lastTransition });
    const audit: AuditEntry = { ...lastTransition, toPhase: next.phase, toPercent: next.canaryPercent, deployment, fromRevision: current?.revision ?? null, toRevision: revision };
    const result = await store.compareAndSet(deployment, current?.revision ?? null, next, audit);
    if (result.ok) return { status: "changed", state: result.state, previous: current, audit, conflicts };
    conflicts++;
    // Jittered backoff spreads writers that collided so they do not collide again.
    await sleep(Math.random() * Math.min(2 ** attempt, 50));
  }
  throw new TransitionConflictError(`${deployment}: gave up after ${maxAttempts} compare-and-set conflicts; another writer keeps changing it, retry`);
}

/**
 * Records an event that changes nothing (a resolved alert, a duplicate delivery) in
 * the audit log, when the store supports it. Returns false when it does not.
 */
export async function recordEvent(
  store: RolloutStore,
  state: RolloutState,
  meta: TransitionMeta & { action: AuditEntry["action"]; outcome: AuditOutcome; capability?: AuditEntry["capability"] },
  now: Date = new Date(),
): Promise<boolean> {
  if (!store.record) return false;
  await store.record(state.deployment, {
    at: now.toISOString(),
    by: meta.by,
    action: meta.action,
    outcome: meta.outcome,
    ...(meta.capability ? { capability: meta.capability } : {}),
    fromPhase: state.phase,
    toPhase: state.phase,
    fromPercent: state.canaryPercent,
    toPercent: state.canaryPercent,
    reason: meta.reason,
    ...(meta.details ? { details: meta.details } : {}),
    deployment: state.deployment,
    fromRevision: state.revision,
    toRevision: state.revision,
  });
  return true;
}
