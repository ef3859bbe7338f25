import { privateFieldErrorMap } from "@agent-canary/conventions";
import { DeploymentNameSchema } from "@agent-canary/rollout-state";
import { z } from "zod";
import { publicReason } from "./deployment-tracker.js";
import { HttpError } from "./http-errors.js";
import type { RouteContext } from "./route-context.js";

const StateQuerySchema = z.object({ deployment: DeploymentNameSchema.optional() });

/** How long /readyz waits for the store's read-and-write probe. */
const READY_PROBE_MS = 2_000;

/** GET /state, /healthz, /readyz and /metrics. Nothing they answer names a file or a server address. */
export function registerReadRoutes({ app, config, store, metrics, tracker, guard }: RouteContext): void {
  app.get("/state", { onRequest: guard(config.auth.openState) }, async (request, reply) => {
    const query = StateQuerySchema.safeParse(request.query, { error: privateFieldErrorMap });
    if (!query.success) throw new HttpError(400, "invalid_query", `query parameter deployment: ${query.error.issues[0]?.message ?? "invalid"}`, "deployment");
    const { deployment } = query.data;
    const readPublic = async (name: string) => {
      try {
        return await store.read(name);
      } catch (error) {
        request.log.error({ err: error, deployment: name }, "could not read a rollout state");
        throw new HttpError(503, "state_unreadable", `deployment "${name}": ${publicReason(error as Error)}`);
      }
    };
    if (deployment !== undefined) {
      const state = await readPublic(deployment);
      if (!state) return reply.code(404).send({ error: `deployment "${deployment}" has no rollout state` });
      return state;
    }
    const names = await store.list();
    // One unreadable state must not hide the others: it is reported in place.
    const deployments = await Promise.all(names.map((name) => readPublic(name).catch((error: unknown) => ({ deployment: name, error: (error as Error).message }))));
    return { deployments: deployments.filter((d) => d !== undefined) };
  });

  // Liveness: the process is up and its event loop answers. Never the store: a Redis blip
  // must not make Kubernetes restart every receiver.
  app.get("/healthz", async () => ({ ok: true }));

  // Readiness: the store can be read and written within a bound. A deployment whose state
  // cannot be read is listed (its writes fail, its routers fail closed) without making the
  // whole receiver unready, which would also stop alerts for every other deployment.
  app.get("/readyz", async (_request, reply) => {
    const problems = tracker.problems();
    try {
      await store.probe?.(READY_PROBE_MS);
      return { ready: true, ...(problems.length ? { unreadable: problems } : {}) };
    } catch (error) {
      return reply.code(503).send({ ready: false, store: publicReason(error as Error), ...(problems.length ? { unreadable: problems } : {}) });
    }
  });

  app.get("/metrics", { onRequest: guard(config.auth.openMetrics) }, async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
}
