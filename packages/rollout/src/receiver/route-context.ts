import type { RolloutStore } from "@agent-canary/rollout-state";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ReceiverConfig } from "./config.js";
import type { DeploymentTracker } from "./deployment-tracker.js";
import type { ReceiverMetrics } from "./metrics.js";

/** What every route of the receiver needs. */
export interface RouteContext {
  app: FastifyInstance;
  config: ReceiverConfig;
  store: RolloutStore;
  metrics: ReceiverMetrics;
  tracker: DeploymentTracker;
  now: () => Date;
  /** onRequest hooks: none for an open route, the credential check otherwise. */
  guard: (open: boolean) => ((request: FastifyRequest) => Promise<void>)[];
}
