import { privateFieldErrorMap } from "@agent-canary/conventions";
import type { RolloutState, RolloutStore } from "@agent-canary/rollout-state";
import type { FastifyReply, FastifyRequest } from "fastify";
import { writeDeploymentRecord } from "../records/index.js";
import { applyAlert, type AlertOutcome } from "./apply-alerts.js";
import { checkGrafanaHeaders, verifyGrafanaSignature } from "./grafana-signature.js";
import { HttpError, zodFailure } from "./http-errors.js";
import { parseJsonBody } from "./json-body.js";
import { AlertmanagerPayloadSchema, GrafanaPayloadSchema, type Alert, type AlertSource } from "./payloads.js";
import { ReplayCache } from "./replay-cache.js";
import type { RouteContext } from "./route-context.js";

/** The body as received (the content-type parser keeps it a string; nothing is parsed before auth). */
function rawBodyOf(request: FastifyRequest): string {
  return typeof request.body === "string" ? request.body : "";
}

/** JSON parsing happens here, after the sender proved who it is, with a nesting bound. */
function jsonOf(request: FastifyRequest, maxDepth: number): unknown {
  const parsed = parseJsonBody(rawBodyOf(request), maxDepth);
  if (!parsed.ok) throw new HttpError(400, parsed.reason, parsed.message);
  return parsed.value;
}

/** An alert's rollback writes the deployment record as the controller and the CLI do. */
function recordEndingIn(store: RolloutStore, dir: string) {
  return async (deployment: string, previous: RolloutState): Promise<void> => {
    await writeDeploymentRecord({ store, deployment, outcome: "rolled_back", dir, now: new Date(), previous });
  };
}

/** POST /hooks/alertmanager and /hooks/grafana: authenticate, parse, then apply each alert durably before replying. */
export function registerHookRoutes({ app, config, store, metrics, tracker, now, guard }: RouteContext): void {
  const allowed = new Set(config.deployments);
  const maxDepth = config.limits.maxJsonDepth;
  const handleAlerts = async (source: AlertSource, alerts: Alert[], reply: FastifyReply): Promise<FastifyReply> => {
    const results: AlertOutcome[] = [];
    // One at a time: alerts of one group often name the same deployment.
    for (const alert of alerts) {
      const outcome = await applyAlert(alert, {
        store,
        source,
        allowed,
        matchers: config.alertMatchers,
        tracker,
        log: reply.log,
        now,
        staleAlertSkewMs: config.staleAlertSkewSeconds * 1000,
        ...(config.recordsDir ? { recordEnding: recordEndingIn(store, config.recordsDir) } : {}),
      });
      metrics.notifications.inc({ source, outcome: outcome.outcome });
      if (outcome.outcome === "changed" && outcome.deployment) {
        metrics.transitions.inc({ deployment: outcome.deployment, action: alert.labels.capability === undefined ? (alert.labels.action ?? "") : "capability", source });
      }
      results.push(outcome);
    }
    const unknown = results.filter((r) => r.outcome === "unknown_deployment").map((r) => r.deployment);
    return reply.code(200).send({ results, ...(unknown.length ? { unknownDeployments: [...new Set(unknown)] } : {}) });
  };

  app.post("/hooks/alertmanager", { onRequest: guard(false) }, async (request, reply) => {
    const parsed = AlertmanagerPayloadSchema.safeParse(jsonOf(request, maxDepth), { error: privateFieldErrorMap });
    if (!parsed.success) throw zodFailure(parsed.error, "Alertmanager");
    if (parsed.data.truncatedAlerts > 0) request.log.warn({ truncatedAlerts: parsed.data.truncatedAlerts }, "Alertmanager dropped alerts from this notification (max_alerts); they are not seen here");
    request.log.info({ groupKey: parsed.data.groupKey, alerts: parsed.data.alerts.length, status: parsed.data.status }, "alertmanager notification");
    return handleAlerts("alertmanager", parsed.data.alerts, reply);
  });

  const grafana = config.auth.grafana;
  const replays = new ReplayCache();
  // Headers first, before the body is read: no signature or no fresh timestamp, no body reading.
  const grafanaHeaders = async (request: FastifyRequest): Promise<void> => {
    if (!grafana) return;
    const check = checkGrafanaHeaders(grafana, request.headers, now().getTime());
    if (!check.ok) throw new HttpError(401, check.reason, `Grafana signature check failed: ${check.message}`);
  };
  app.post(
    "/hooks/grafana",
    // With a Grafana secret the signature is the credential; without one, bearer/basic as for Alertmanager.
    { onRequest: grafana ? [grafanaHeaders] : guard(false) },
    async (request, reply) => {
      let verified: { signature: string; replayTtlMs: number } | undefined;
      if (grafana) {
        // The signature is checked on the raw body before any parsing: unauthenticated
        // senders cost one HMAC over at most bodyLimitBytes, never a JSON parse.
        const check = verifyGrafanaSignature(grafana, request.headers, rawBodyOf(request), now().getTime(), replays);
        if (!check.ok) throw new HttpError(401, check.reason, `Grafana signature check failed: ${check.message}`);
        verified = check;
      }
      const parsed = GrafanaPayloadSchema.safeParse(jsonOf(request, maxDepth), { error: privateFieldErrorMap });
      if (!parsed.success) throw zodFailure(parsed.error, "Grafana");
      request.log.info({ groupKey: parsed.data.groupKey, alerts: parsed.data.alerts.length, status: parsed.data.status }, "grafana notification");
      const sent = await handleAlerts("grafana", parsed.data.alerts, reply);
      // Acted on: from now on the same signed delivery is a replay.
      if (verified) replays.remember(verified.signature, now().getTime(), verified.replayTtlMs);
      return sent;
    },
  );
}
