import { DeploymentNameSchema, type RolloutStore } from "@agent-canary/rollout-state";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from "fastify";
import { z } from "zod";
import { applyAlert, type AlertOutcome } from "./apply-alerts.js";
import { authorized } from "./auth.js";
import type { ReceiverConfig } from "./config.js";
import { verifyGrafanaSignature } from "./grafana-signature.js";
import { createReceiverMetrics, type ReceiverMetrics } from "./metrics.js";
import { AlertmanagerPayloadSchema, GrafanaPayloadSchema, type Alert, type AlertSource } from "./payloads.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The body exactly as received, for signature checks. */
    rawBody?: string;
  }
}

export interface ReceiverOptions {
  config: ReceiverConfig;
  store: RolloutStore;
  /** fastify's logger option: true, false, or pino options. Default: info level. */
  logger?: FastifyServerOptions["logger"];
  now?: () => Date;
}

export interface Receiver {
  app: FastifyInstance;
  metrics: ReceiverMetrics;
  /** Starts listening; resolves with the base URL. */
  listen(): Promise<string>;
  /** Stops accepting, lets in-flight requests finish, then closes the store. */
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function zodFailure(error: z.ZodError, what: string): HttpError {
  const issue = error.issues[0];
  const field = issue ? issue.path.map(String).join(".") : "";
  return new HttpError(400, "invalid_payload", `invalid ${what} payload${field ? ` at "${field}"` : ""}: ${issue?.message ?? error.message}`, field);
}

/** fastify's own 4xx messages ("Unsupported Media Type") do not say what to send instead. */
function clientMessage(error: Error & { statusCode?: number }, request: FastifyRequest, bodyLimitBytes: number): string {
  if (error instanceof HttpError) return error.message;
  if (error.statusCode === 415) return `content-type ${request.headers["content-type"] ?? "(none)"} is not accepted: send the body as JSON with content-type: application/json`;
  if (error.statusCode === 413) return `body is larger than the limit of ${bodyLimitBytes} bytes (--body-limit)`;
  return error.message;
}

/** fastify's own errors, named for the rejected-requests counter. */
function reasonOf(error: { statusCode?: number; code?: string }): string {
  if (error instanceof HttpError) return error.reason;
  switch (error.statusCode) {
    case 413:
      return "body_too_large";
    case 415:
      return "unsupported_media_type";
    case 400:
      return "invalid_json";
    default:
      return "bad_request";
  }
}

export function createReceiver(options: ReceiverOptions): Receiver {
  const { config, store } = options;
  const now = options.now ?? (() => new Date());
  const app = Fastify({ logger: options.logger ?? { level: "info" }, bodyLimit: config.bodyLimitBytes, return503OnClosing: true });
  const metrics = createReceiverMetrics(store, (error) => app.log.error({ err: error }, "metrics: could not read a rollout state"));
  const credentials = { bearerTokens: config.auth.bearerTokens, basic: config.auth.basic };

  // JSON only, kept raw for HMAC checks; any other media type gets fastify's 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    request.rawBody = body as string;
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(new HttpError(400, "invalid_json", `body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string; field?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, "request failed; nothing acknowledged");
      return reply.code(status).send({ error: "internal error; the state was not changed by this request or the change is durable (check GET /state)" });
    }
    const reason = reasonOf(error);
    const message = clientMessage(error, request, config.bodyLimitBytes);
    metrics.rejected.inc({ reason });
    request.log.warn({ reason, status }, message);
    return reply.code(status).send({ error: message, ...(error.field === undefined ? {} : { field: error.field }) });
  });

  const requireCredentials = async (request: FastifyRequest): Promise<void> => {
    if (config.auth.allowUnauthenticated) return;
    if (!authorized(request.headers.authorization, credentials)) {
      throw new HttpError(401, "unauthorized", "missing or wrong credentials: send Authorization: Bearer <token> or basic auth as configured");
    }
  };
  const routes: RouteContext = { app, config, store, metrics, now, guard: (open) => (open ? [] : [requireCredentials]) };
  registerHookRoutes(routes);
  registerReadRoutes(routes);

  return {
    app,
    metrics,
    async listen() {
      return app.listen({ host: config.host, port: config.port });
    },
    async close() {
      await app.close();
      await store.close();
    },
  };
}

interface RouteContext {
  app: FastifyInstance;
  config: ReceiverConfig;
  store: RolloutStore;
  metrics: ReceiverMetrics;
  now: () => Date;
  /** onRequest hooks: none for an open route, the credential check otherwise. */
  guard: (open: boolean) => ((request: FastifyRequest) => Promise<void>)[];
}

/** POST /hooks/alertmanager and /hooks/grafana: validate, then apply each alert durably before replying. */
function registerHookRoutes({ app, config, store, metrics, now, guard }: RouteContext): void {
  const allowed = new Set(config.deployments);
  const handleAlerts = async (source: AlertSource, alerts: Alert[], reply: FastifyReply): Promise<FastifyReply> => {
    const results: AlertOutcome[] = [];
    // One at a time: alerts of one group often name the same deployment.
    for (const alert of alerts) {
      const outcome = await applyAlert(alert, { store, source, allowed, log: reply.log, now, staleAlertSkewMs: config.staleAlertSkewSeconds * 1000 });
      metrics.notifications.inc({ source, outcome: outcome.outcome });
      if (outcome.outcome === "changed" && outcome.deployment) {
        metrics.transitions.inc({ deployment: outcome.deployment, action: alert.labels.capability ? "capability" : (alert.labels.action ?? ""), source });
      }
      results.push(outcome);
    }
    const unknown = results.filter((r) => r.outcome === "unknown_deployment").map((r) => r.deployment);
    return reply.code(200).send({ results, ...(unknown.length ? { unknownDeployments: [...new Set(unknown)] } : {}) });
  };

  app.post("/hooks/alertmanager", { onRequest: guard(false) }, async (request, reply) => {
    const parsed = AlertmanagerPayloadSchema.safeParse(request.body);
    if (!parsed.success) throw zodFailure(parsed.error, "Alertmanager");
    if (parsed.data.truncatedAlerts > 0) request.log.warn({ truncatedAlerts: parsed.data.truncatedAlerts }, "Alertmanager dropped alerts from this notification (max_alerts); they are not seen here");
    request.log.info({ groupKey: parsed.data.groupKey, alerts: parsed.data.alerts.length, status: parsed.data.status }, "alertmanager notification");
    return handleAlerts("alertmanager", parsed.data.alerts, reply);
  });

  const grafana = config.auth.grafana;
  app.post(
    "/hooks/grafana",
    // With a Grafana secret the signature is the credential; without one, bearer/basic as for Alertmanager.
    { onRequest: grafana ? [] : guard(false) },
    async (request, reply) => {
      if (grafana) {
        const check = verifyGrafanaSignature(grafana, request.headers, request.rawBody ?? "", now().getTime());
        if (!check.ok) throw new HttpError(401, check.reason, `Grafana signature check failed: ${check.reason.replace("_", " ")}; check the contact point's HMAC secret and headers`);
      }
      const parsed = GrafanaPayloadSchema.safeParse(request.body);
      if (!parsed.success) throw zodFailure(parsed.error, "Grafana");
      request.log.info({ groupKey: parsed.data.groupKey, alerts: parsed.data.alerts.length, status: parsed.data.status }, "grafana notification");
      return handleAlerts("grafana", parsed.data.alerts, reply);
    },
  );
}

const StateQuerySchema = z.object({ deployment: DeploymentNameSchema.optional() });

/** GET /state, /healthz and /metrics. */
function registerReadRoutes({ app, config, store, metrics, guard }: RouteContext): void {
  app.get("/state", { onRequest: guard(config.auth.openState) }, async (request, reply) => {
    const query = StateQuerySchema.safeParse(request.query);
    if (!query.success) throw new HttpError(400, "invalid_query", `query parameter deployment: ${query.error.issues[0]?.message ?? "invalid"}`, "deployment");
    const { deployment } = query.data;
    if (deployment !== undefined) {
      const state = await store.read(deployment);
      if (!state) return reply.code(404).send({ error: `deployment "${deployment}" has no rollout state` });
      return state;
    }
    const names = await store.list();
    // One unreadable state must not hide the others: it is reported in place.
    const deployments = await Promise.all(names.map((name) => store.read(name).catch((error: unknown) => ({ deployment: name, error: (error as Error).message }))));
    return { deployments };
  });

  app.get("/healthz", async (_request, reply) => {
    try {
      await store.list();
      return { ok: true };
    } catch (error) {
      return reply.code(503).send({ ok: false, error: `store unreachable: ${(error as Error).message}` });
    }
  });

  app.get("/metrics", { onRequest: guard(config.auth.openMetrics) }, async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
}
