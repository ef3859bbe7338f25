import {
  DeploymentNameSchema,
  pause,
  recordEvent,
  rollback,
  setCapability,
  transition,
  type Mutation,
  type RolloutState,
  type RolloutStore,
  type Transition,
} from "@agent-canary/rollout-state";
import type { FastifyBaseLogger } from "fastify";
import { z } from "zod";
import type { Alert, AlertSource } from "./payloads.js";

/** What the receiver did with one alert; the webhook reply lists one per alert. */
export interface AlertOutcome {
  alertname: string;
  fingerprint: string;
  deployment: string | null;
  outcome: "changed" | "unchanged" | "recorded" | "stale" | "unknown_deployment" | "ignored";
  reason: string;
  revision?: number;
}

export interface ApplyContext {
  store: RolloutStore;
  source: AlertSource;
  /** Deployments this receiver may change; empty: any with a state. */
  allowed: ReadonlySet<string>;
  log: FastifyBaseLogger;
  now: () => Date;
  /** How far `startsAt` may precede the rollout's start before the alert is stale. Default 0. */
  staleAlertSkewMs?: number;
}

const ACTIONS = ["rollback", "hold"] as const;
type AlertAction = (typeof ACTIONS)[number];

function isAction(value: string | undefined): value is AlertAction {
  return value !== undefined && (ACTIONS as readonly string[]).includes(value);
}

/** What a firing alert asks for: a capability switched off, a hold, or a rollback. */
function mutationFor(deployment: string, action: AlertAction, capability: string | undefined, reason: string): { mutation: Mutation; audit: Transition["action"] } {
  if (capability) return { mutation: setCapability(deployment, capability, { enabled: false, reason }), audit: "capability" };
  if (action === "hold") return { mutation: pause(deployment, "hold"), audit: "hold" };
  return { mutation: rollback(deployment), audit: "rollback" };
}

/** RFC 3339 as Alertmanager (nanosecond fractions) and Grafana (offsets) write it. */
const StartsAtSchema = z.iso.datetime({ offset: true });

/**
 * When the alert began firing, or undefined when that is unknown: absent, unparseable, or Go's
 * zero time (year 1), which would otherwise look older than every rollout and be dropped.
 */
function alertStartedAt(startsAt: string | undefined): Date | undefined {
  const parsed = StartsAtSchema.safeParse(startsAt);
  if (!parsed.success) return undefined;
  const at = new Date(parsed.data);
  return at.getUTCFullYear() <= 1 ? undefined : at;
}

/**
 * Why a firing alert is about an earlier rollout, or undefined when it may act. An alert that
 * began firing before the current rollout started cannot be evidence against it: it is a
 * re-send (repeat_interval, an HA peer) about the rollout before. When either time is unknown
 * the alert acts, as it did before rollouts carried a start time: a missed rollback costs more
 * than a needless one.
 */
function staleReason(state: RolloutState | undefined, startedAt: Date | undefined, skewMs: number): string | undefined {
  if (!state?.rolloutStartedAt || !startedAt) return undefined;
  const rolloutStart = Date.parse(state.rolloutStartedAt);
  if (startedAt.getTime() + skewMs >= rolloutStart) return undefined;
  return `the alert started firing at ${startedAt.toISOString()}, before the current rollout started at ${state.rolloutStartedAt}${skewMs ? ` (allowing ${skewMs / 1000} s of clock skew)` : ""}; it is about an earlier rollout`;
}

/**
 * Applies one alert. Firing alerts act (idempotently: a second delivery finds the
 * work done and is only recorded); resolved alerts are recorded and never restore
 * traffic, because "the gate stopped firing" is not "the canary is good".
 */
export async function applyAlert(alert: Alert, ctx: ApplyContext): Promise<AlertOutcome> {
  const alertname = alert.labels.alertname ?? "(unnamed)";
  const fingerprint = alert.fingerprint ?? "";
  const deployment = alert.labels.deployment ?? null;
  const base = { alertname, fingerprint, deployment };
  const action = alert.labels.action;
  if (!deployment) return { ...base, outcome: "ignored", reason: "the alert has no deployment label" };
  // A label no deployment can have would make the store throw; a 5xx would make Alertmanager retry it forever.
  const name = DeploymentNameSchema.safeParse(deployment);
  if (!name.success) return { ...base, outcome: "ignored", reason: `label deployment="${deployment}" is not a deployment name: ${name.error.issues[0]?.message ?? "invalid"}` };
  if (!isAction(action)) return { ...base, outcome: "ignored", reason: `label action="${action ?? ""}" is neither rollback nor hold` };
  const log = ctx.log.child({ deployment, alertname, fingerprint, action, status: alert.status });
  const current = ctx.allowed.size === 0 || ctx.allowed.has(deployment) ? await ctx.store.read(deployment) : undefined;
  if (!current) {
    log.warn("alert names a deployment this receiver does not manage; nothing changed");
    return { ...base, outcome: "unknown_deployment", reason: `deployment "${deployment}" is not managed by this receiver (no rollout state or not in --deployments)` };
  }
  const by = `${ctx.source}:${fingerprint || alertname}`;
  const capability = alert.labels.capability;
  const details = { alertname, fingerprint, status: alert.status, labels: alert.labels, ...(alert.annotations.summary ? { summary: alert.annotations.summary } : {}) };
  const { mutation, audit } = mutationFor(deployment, action, capability, `${alertname} firing`);

  if (alert.status === "resolved") {
    await recordEvent(ctx.store, current, { by, action: audit, outcome: "resolved", reason: `${alertname} resolved; traffic is not restored automatically`, details }, ctx.now());
    log.info("alert resolved; recorded, traffic unchanged");
    return { ...base, outcome: "recorded", reason: "resolved alerts never restore traffic", revision: current.revision };
  }
  // A capability switch is not scoped to a rollout (capabilities outlive it), so only the
  // version split (rollback, hold) is guarded. The check runs inside the mutation so it judges
  // the state being replaced: a rollout started between our read and the write still counts.
  const startedAt = alertStartedAt(alert.startsAt);
  const skewMs = ctx.staleAlertSkewMs ?? 0;
  let stale: string | undefined;
  const guarded: Mutation = capability
    ? mutation
    : (state, at) => {
        stale = staleReason(state, startedAt, skewMs);
        return stale ? { kind: "unchanged", reason: stale } : mutation(state, at);
      };
  const result = await transition(ctx.store, deployment, guarded, { by, reason: `${alertname} firing (${ctx.source})`, details }, { now: ctx.now });
  if (result.status === "unchanged" && stale !== undefined) {
    const state = result.state ?? current;
    const staleDetails = { ...details, startsAt: alert.startsAt, rolloutStartedAt: state.rolloutStartedAt, stale: true };
    await recordEvent(ctx.store, state, { by, action: audit, outcome: "stale", reason: `${alertname} firing, stale: ${stale}`, details: staleDetails }, ctx.now());
    log.warn({ revision: state.revision, startsAt: alert.startsAt, rolloutStartedAt: state.rolloutStartedAt }, "stale alert about an earlier rollout; recorded, nothing changed");
    return { ...base, outcome: "stale", reason: stale, revision: state.revision };
  }
  if (result.status === "changed") {
    log.info({ revision: result.state.revision, canaryPercent: result.state.canaryPercent, phase: result.state.phase }, "rollout state changed by alert");
    return { ...base, outcome: "changed", reason: `${audit} applied`, revision: result.state.revision };
  }
  const state = result.state ?? current;
  await recordEvent(ctx.store, state, { by, action: audit, outcome: "duplicate", reason: `${alertname} firing again: ${result.reason}`, details }, ctx.now());
  log.info({ revision: state.revision }, `alert changed nothing: ${result.reason}`);
  return { ...base, outcome: "unchanged", reason: result.reason, revision: state.revision };
}
