import {
  CapabilityNameSchema,
  DeploymentNameSchema,
  pause,
  recordEvent,
  rollback,
  setCapability,
  transition,
  type AuditEntry,
  type AuditOutcome,
  type Mutation,
  type RolloutState,
  type RolloutStore,
} from "@agent-canary/rollout-state";
import type { FastifyBaseLogger } from "fastify";
import { matchesAll, type AlertMatcher } from "./alert-matchers.js";
import { scopeOf, type Scope } from "./alert-scope.js";
import type { DeploymentTracker } from "./deployment-tracker.js";
import type { Alert, AlertSource } from "./payloads.js";

/** What the receiver did with one alert; the webhook reply lists one per alert. */
export interface AlertOutcome {
  alertname: string;
  fingerprint: string;
  deployment: string | null;
  /**
   * changed: the state moved. duplicate: it already was what the alert asks. unchanged:
   * nothing to do (no canary, nothing progressing). resolved: recorded, traffic untouched.
   * stale / other_rollout: about an earlier or another rollout, recorded. not_matched: not
   * this receiver's environment (--alert-matchers). unknown_deployment, ignored: see reason.
   */
  outcome: AuditOutcome | "not_matched" | "unknown_deployment" | "ignored";
  reason: string;
  revision?: number;
}

export interface ApplyContext {
  store: RolloutStore;
  source: AlertSource;
  /** Deployments this receiver may change; empty: any with a state. */
  allowed: ReadonlySet<string>;
  matchers: readonly AlertMatcher[];
  tracker: DeploymentTracker;
  log: FastifyBaseLogger;
  now: () => Date;
  /** How far `startsAt` may precede the rollout's start and still be about it. */
  staleAlertSkewMs: number;
  /** Writes the deployment record when an alert ends a rollout (rollback). */
  recordEnding?: (deployment: string, previous: RolloutState) => Promise<void>;
}

/** What a firing alert asks for. */
type Request = { kind: "capability"; name: string } | { kind: "rollback" } | { kind: "hold" };

/**
 * A `capability` label switches that capability off, whatever `action` says (or without
 * one): the alert is about one tool or feature, and the version split stays as it is.
 * Otherwise `action` must be rollback or hold.
 */
function requestOf(alert: Alert): Request | { invalid: string } {
  const capability = alert.labels.capability;
  if (capability !== undefined) {
    const name = CapabilityNameSchema.safeParse(capability);
    return name.success ? { kind: "capability", name: name.data } : { invalid: `label capability="${capability}" is not a capability name: ${name.error.issues[0]?.message ?? "invalid"}` };
  }
  const action = alert.labels.action;
  if (action === "rollback") return { kind: "rollback" };
  if (action === "hold") return { kind: "hold" };
  return { invalid: `label action="${action ?? ""}" is neither rollback nor hold, and there is no capability label` };
}

function mutationOf(deployment: string, request: Request, reason: string): Mutation {
  if (request.kind === "capability") return setCapability(deployment, request.name, { enabled: false, reason });
  return request.kind === "hold" ? pause(deployment, "hold") : rollback(deployment);
}

function auditAction(request: Request): AuditEntry["action"] {
  return request.kind === "capability" ? "capability" : request.kind;
}

/** Does the state already show what the alert asks for? Then a no-op is a duplicate delivery. */
function alreadyDone(state: RolloutState, request: Request): boolean {
  if (request.kind === "rollback") return state.phase === "rolled_back";
  if (request.kind === "hold") return state.phase === "paused";
  const capability = Object.hasOwn(state.capabilities, request.name) ? state.capabilities[request.name] : undefined;
  return capability?.enabled === false;
}

/** The capability's state for the audit entry of a no-op, so it names what the alert was about. */
function capabilityInfo(state: RolloutState, request: Request): AuditEntry["capability"] {
  if (request.kind !== "capability") return undefined;
  const current = Object.hasOwn(state.capabilities, request.name) ? state.capabilities[request.name] : undefined;
  return { name: request.name, enabled: current?.enabled ?? true, percent: current?.percent ?? 0 };
}

/**
 * Applies one alert. Firing alerts about the current rollout act (idempotently: a second
 * delivery finds the work done and is recorded as a duplicate); alerts about another or an
 * earlier rollout are recorded and change nothing; resolved alerts are recorded and never
 * restore traffic, because "the gate stopped firing" is not "the canary is good".
 */
export async function applyAlert(alert: Alert, ctx: ApplyContext): Promise<AlertOutcome> {
  const alertname = alert.labels.alertname ?? "(unnamed)";
  const fingerprint = alert.fingerprint ?? "";
  const deployment = alert.labels.deployment ?? null;
  const base = { alertname, fingerprint, deployment };
  if (!matchesAll(ctx.matchers, alert.labels)) return { ...base, outcome: "not_matched", reason: "the alert's labels do not match --alert-matchers: it is about another environment" };
  if (!deployment) return { ...base, outcome: "ignored", reason: "the alert has no deployment label" };
  // A label no deployment can have would make the store throw; a 5xx would make Alertmanager retry it forever.
  const name = DeploymentNameSchema.safeParse(deployment);
  if (!name.success) return { ...base, outcome: "ignored", reason: `label deployment="${deployment}" is not a deployment name: ${name.error.issues[0]?.message ?? "invalid"}` };
  const request = requestOf(alert);
  if ("invalid" in request) return { ...base, outcome: "ignored", reason: request.invalid };
  const log = ctx.log.child({ deployment, alertname, fingerprint, request: request.kind, status: alert.status });
  const current = ctx.allowed.size === 0 || ctx.allowed.has(deployment) ? await ctx.store.read(deployment) : undefined;
  if (!current) {
    log.warn("alert names a deployment this receiver does not manage; nothing changed");
    return { ...base, outcome: "unknown_deployment", reason: `deployment "${deployment}" is not managed by this receiver (no rollout state or not in --deployments)` };
  }
  const by = `${ctx.source}:${fingerprint || alertname}`;
  const details = { alertname, fingerprint, status: alert.status, labels: alert.labels, ...(alert.annotations.summary ? { summary: alert.annotations.summary } : {}) };
  const action = auditAction(request);
  const record = async (state: RolloutState, outcome: AuditOutcome, reason: string, extra: Record<string, unknown> = {}): Promise<AlertOutcome> => {
    const capability = capabilityInfo(state, request);
    await recordEvent(ctx.store, state, { by, action, outcome, reason, details: { ...details, ...extra }, ...(capability ? { capability } : {}) }, ctx.now());
    return { ...base, outcome, reason, revision: state.revision };
  };

  if (alert.status === "resolved") {
    log.info("alert resolved; recorded, traffic unchanged");
    return record(current, "resolved", `${alertname} resolved; traffic is not restored automatically`);
  }
  // Judged inside the mutation, against the state being replaced: a rollout started between
  // our read and the write still counts.
  let scope: Scope = { about: "current" };
  const guarded: Mutation = (state, at) => {
    scope = state ? scopeOf(alert, state, { nowMs: at.getTime(), skewMs: ctx.staleAlertSkewMs, observedStartMs: ctx.tracker.observedStart(state) }, request.kind !== "capability") : { about: "current" };
    return scope.about === "current" ? mutationOf(deployment, request, `${alertname} firing`)(state, at) : { kind: "unchanged", reason: scope.reason };
  };
  const result = await transition(ctx.store, deployment, guarded, { by, reason: `${alertname} firing (${ctx.source})`, outcome: "changed", details }, { now: ctx.now });
  const state = result.state ?? current;
  const judged = scope as Scope;
  if (judged.about !== "current") {
    log.warn({ revision: state.revision, ...judged.details }, `alert about ${judged.about === "stale" ? "an earlier" : "another"} rollout; recorded, nothing changed`);
    return record(state, judged.about, `${alertname} firing, ${judged.about === "stale" ? "stale" : "about another rollout"}: ${judged.reason}`, judged.details);
  }
  if (result.status === "changed") {
    ctx.tracker.observe(result.state);
    log.info({ revision: result.state.revision, canaryPercent: result.state.canaryPercent, phase: result.state.phase }, "rollout state changed by alert");
    // The rollback is acknowledged whatever happens to its record: a failed write is logged, never a 5xx.
    if (result.state.phase === "rolled_back" && result.previous) await ctx.recordEnding?.(deployment, result.previous).catch((error: unknown) => log.error({ err: (error as Error).message }, "deployment record not written"));
    return { ...base, outcome: "changed", reason: `${action} applied`, revision: result.state.revision };
  }
  const outcome = alreadyDone(state, request) ? "duplicate" : "unchanged";
  log.info({ revision: state.revision }, `alert changed nothing (${outcome}): ${result.reason}`);
  return record(state, outcome, `${alertname} firing ${outcome === "duplicate" ? "again" : "but nothing to do"}: ${result.reason}`);
}
