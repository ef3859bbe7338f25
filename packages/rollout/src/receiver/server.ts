import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server, type ServerOptions } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { RolloutStore } from "@agent-canary/rollout-state";
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from "fastify";
import { authorized } from "./auth.js";
import type { ReceiverConfig } from "./config.js";
import { DeploymentTracker } from "./deployment-tracker.js";
import { checkDurability } from "./durability-check.js";
import { registerHookRoutes } from "./hook-routes.js";
import { HttpError, clientMessage, reasonOf } from "./http-errors.js";
import { createReceiverMetrics, type ReceiverMetrics } from "./metrics.js";
import { registerReadRoutes } from "./read-routes.js";

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
  /** Checks the store's durability, starts listening; resolves with the base URL. */
  listen(): Promise<string>;
  /** Stops accepting, lets in-flight requests finish, then closes the store. */
  close(): Promise<void>;
}

/** Store failures that are worth a retry: 503, so Alertmanager and Grafana send again. */
const RETRYABLE = new Set(["StoreUnavailableError", "StoreBusyError", "TransitionConflictError", "FST_ERR_HANDLER_TIMEOUT"]);

/**
 * The HTTP(S) server with every bound a slow or hostile client could exploit: time to send
 * headers, time to send the request, idle keep-alive, and a connection cap below the open
 * file limit (1,100 slow connections at nofile 1024 used to starve the store of file handles).
 */
function serverFactory(config: ReceiverConfig): (handler: Parameters<typeof createHttpServer>[1]) => Server {
  const { limits, tls } = config;
  const options: ServerOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts above on this interval (30 s by default).
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };
  const tlsFiles = tls ? { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } : undefined;
  return (handler) => {
    const server = tlsFiles ? (createHttpsServer({ ...options, ...tlsFiles }, handler) as unknown as Server) : createHttpServer(options, handler);
    server.setTimeout(limits.requestTimeoutMs);
    server.maxConnections = limits.maxConnections;
    return server;
  };
}

export function createReceiver(options: ReceiverOptions): Receiver {
  const { config, store } = options;
  const now = options.now ?? (() => new Date());
  const { limits } = config;
  const app = Fastify({
    logger: options.logger ?? { level: "info" },
    bodyLimit: limits.bodyLimitBytes,
    handlerTimeout: limits.handlerTimeoutMs,
    return503OnClosing: true,
    serverFactory: serverFactory(config),
  });
  const tracker = new DeploymentTracker(store, { allowed: new Set(config.deployments), relistMs: 10_000, skewMs: config.staleAlertSkewSeconds * 1000, now, log: app.log });
  const metrics = createReceiverMetrics(tracker);
  const credentials = { bearerTokens: config.auth.bearerTokens, basic: config.auth.basic };

  // JSON only, kept as the raw string: signatures are checked on it before anything parses it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string; field?: string }, request, reply) => {
    if (RETRYABLE.has(error.name) || RETRYABLE.has(error.code ?? "")) {
      request.log.error({ err: error }, "store unavailable; nothing acknowledged, the sender will retry");
      metrics.rejected.inc({ reason: "store_unavailable" });
      return reply.code(503).send({ error: "the rollout state store did not answer in time; nothing was acknowledged, retry" });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, "request failed; nothing acknowledged");
      return reply.code(status).send({ error: "internal error; the state was not changed by this request or the change is durable (check GET /state)" });
    }
    const reason = reasonOf(error);
    const message = clientMessage(error, request, limits.bodyLimitBytes);
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
  const routes = { app, config, store, metrics, tracker, now, guard: (open: boolean) => (open ? [] : [requireCredentials]) };
  registerHookRoutes(routes);
  registerReadRoutes(routes);

  return {
    app,
    metrics,
    async listen() {
      await checkDurability(store, config.requireDurableStore, app.log);
      await tracker.ready;
      // fastify names the scheme from its own https option; the TLS server here comes from
      // serverFactory, so its own "listening at" lines would say http:// for an HTTPS server.
      const scheme = (text: string) => (config.tls ? text.replace(/^http:/, "https:") : text);
      const address = scheme(await app.listen({ host: config.host, port: config.port, listenTextResolver: (at) => `Server listening at ${scheme(at)}` }));
      if (!config.tls && !isLoopback(config.host)) {
        app.log.warn({ host: config.host }, "listening without TLS on a non-loopback address: tokens and signatures cross the network in clear. Use --tls-cert-file/--tls-key-file or a TLS-terminating proxy (ingress, service mesh)");
      }
      return address;
    },
    async close() {
      tracker.stop();
      await app.close();
      await store.close();
    },
  };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}
