import { setTimeout as sleep } from "node:timers/promises";
import { seeded, startModelServer, type ModelServer, type SessionRunner } from "@agent-canary/example-support-agent";
import { AgentCanary, AgentCanaryInstrumentation, type Logger } from "@agent-canary/instrumentation";
import type { RolloutState, RolloutStore } from "@agent-canary/rollout-state";
import OpenAI from "openai";
import { DEMO_BASELINE, DEMO_CANARY, DEPLOYMENT } from "../config.js";
import type { Scenario } from "../scenarios.js";

let instrumented: AgentCanaryInstrumentation | undefined;

/**
 * The openai SDK is already loaded when the demo runs, so the module-load hook
 * cannot see it: patch it by hand, once per process, as a bundled app would.
 */
export function instrumentOpenAI(): void {
  if (instrumented) return;
  instrumented = new AgentCanaryInstrumentation({ enabled: false });
  instrumented.instrument(OpenAI);
}

/** One scenario's agent process: its model server, the instrumented runtime and an openai client. */
export interface AgentSide {
  client: OpenAI;
  runSession: SessionRunner;
  /** The rollout state this agent's router follows (undefined while it fails closed). */
  rolloutState(): RolloutState | undefined;
  close(): Promise<void>;
}

/** Mean milliseconds a model call takes; the local server answers at once, a hosted model does not. */
const MODEL_LATENCY_MS = 40;

/**
 * A fetch that waits like a hosted model before each call (jittered around
 * MODEL_LATENCY_MS), so sessions overlap as in production and some are still
 * running when a rollback lands.
 */
function withModelLatency(seed: number): typeof fetch {
  const random = seeded("demo-latency", seed);
  return async (input, init) => {
    await sleep(MODEL_LATENCY_MS * (0.5 + random()));
    return fetch(input, init);
  };
}

export async function startAgentSide(scenario: Scenario, options: { seed: number; store: RolloutStore; logger: Logger }): Promise<AgentSide> {
  instrumentOpenAI();
  const server: ModelServer = await startModelServer({
    seed: options.seed,
    models: { [DEMO_CANARY.model]: scenario.canaryBehaviour },
  });
  const runtime = new AgentCanary({
    deployment: DEPLOYMENT,
    versions: { baseline: DEMO_BASELINE, canary: DEMO_CANARY },
    store: options.store,
    logger: options.logger,
  });
  const client = new OpenAI({ apiKey: "demo-local-model", baseURL: server.baseURL, maxRetries: 0, fetch: withModelLatency(options.seed) });
  return {
    client,
    runSession: (init, fn) => runtime.session(init, fn),
    rolloutState: () => runtime.rolloutState,
    close: async () => {
      await runtime.close();
      await server.close();
    },
  };
}
