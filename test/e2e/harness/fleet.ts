import { setTimeout as sleep } from "node:timers/promises";
import type { VersionGroup, VersionSpec } from "@agent-canary/conventions";
import {
  BASELINE_VERSION,
  runFleet,
  seeded,
  startModelServer,
  type BehaviourOptions,
  type ModelServer,
  type SessionRecord,
  type SessionRunner,
} from "@agent-canary/example-support-agent";
import { register, type AgentCanaryHandle } from "@agent-canary/instrumentation";
import OpenAI from "openai";
import { DEPLOYMENT } from "./gates-config.js";

export const E2E_BASELINE: VersionSpec = BASELINE_VERSION;
/** The candidate pins the baseline's model to a dated snapshot: same price, its own behaviour on the model server. */
export const E2E_CANARY: VersionSpec = { ...BASELINE_VERSION, model: "gpt-4o-mini-2024-07-18", label: "support v42" };

/** A session as the test saw it: the example fleet's record plus when it ran (epoch ms). */
export interface TimedRecord extends SessionRecord {
  startedAt: number;
  endedAt: number;
}

/**
 * The agent process of the end-to-end tests: the example support agent,
 * registered with agent-canary (Prometheus endpoint, Redis store) as a user
 * would, against the scripted model server, sending sessions in batches of
 * the example's fleet until stopped.
 */
export class AgentFleet {
  readonly records: TimedRecord[] = [];
  private readonly starts = new Map<string, { group: VersionGroup; startedAt: number }>();
  private readonly ended = new Map<string, { startedAt: number; endedAt: number }>();
  private running: Promise<void> | undefined;
  private stopped = false;

  private constructor(
    readonly handle: AgentCanaryHandle,
    readonly metricsUrl: string,
    private readonly server: ModelServer,
    private readonly client: OpenAI,
  ) {}

  /** Registers the agent against the Redis store and serves its metrics on a free loopback port. */
  static async start(options: { redisUrl: string; canaryBehaviour: BehaviourOptions; seed: number }): Promise<AgentFleet> {
    const server = await startModelServer({ seed: options.seed, models: { [E2E_CANARY.model]: options.canaryBehaviour } });
    const handle = register({
      deployment: DEPLOYMENT,
      versions: { baseline: E2E_BASELINE, canary: E2E_CANARY },
      store: options.redisUrl,
      metrics: { exporter: "prometheus", host: "127.0.0.1", port: 0 },
      traces: { exporter: "none" },
      autoInstrument: false,
      logger: { debug: () => undefined, info: () => undefined, warn: (m) => console.warn(`[agent] ${m}`), error: (m) => console.error(`[agent] ${m}`) },
    });
    // Vitest loads openai outside Node's module hooks: instrument the module by hand.
    handle.instrumentation.instrument(OpenAI);
    const { metricsUrl } = await handle.ready;
    if (!metricsUrl) throw new Error("the agent did not open a metrics endpoint");
    const client = new OpenAI({ apiKey: "e2e-local-model", baseURL: server.baseURL, maxRetries: 0, fetch: withLatency(options.seed) });
    return new AgentFleet(handle, metricsUrl, server, client);
  }

  /** host:port of the agent's /metrics, for Prometheus. */
  get target(): string {
    return new URL(this.metricsUrl).host;
  }

  /** Sessions started but not ended, with their group. */
  inFlight(): { id: string; group: VersionGroup; startedAt: number }[] {
    return [...this.starts.entries()].map(([id, s]) => ({ id, ...s }));
  }

  /** Runs batches of the example fleet until stop(). */
  run(options: { concurrency: number; seed: number }): void {
    let batch = 0;
    this.running = (async () => {
      while (!this.stopped) {
        const summary = await runFleet({
          client: this.client,
          sessions: options.concurrency * 20,
          concurrency: options.concurrency,
          seed: options.seed * 1000 + batch,
          idPrefix: `e2e-${options.seed}-${batch++}`,
          runSession: this.timed(),
        });
        for (const record of summary.records) {
          const ended = this.ended.get(record.id);
          if (ended) this.records.push({ ...record, ...ended });
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    await this.handle.shutdown();
    await this.server.close();
  }

  /** The registered session runner, noting when each session starts and ends and in which group. */
  private timed(): SessionRunner {
    return (init, fn) =>
      this.handle.session(init, async (s) => {
        const startedAt = Date.now();
        this.starts.set(init.id, { group: s.group, startedAt });
        try {
          const result = await fn(s);
          s.recordQualityScore(judge(result));
          return result;
        } finally {
          this.starts.delete(init.id);
          this.ended.set(init.id, { startedAt, endedAt: Date.now() });
        }
      });
  }
}

/**
 * A stand-in for an LLM judge so the quality gate and its panels have data:
 * an answer that states what the tools found scores 0.9, any other 0.3.
 */
function judge(result: unknown): number {
  const resolved = typeof result === "object" && result !== null && "resolved" in result && result.resolved === true;
  return resolved ? 0.9 : 0.3;
}

/** Hosted models take tens of milliseconds a call; waiting that long makes sessions overlap as in production. */
function withLatency(seed: number): typeof fetch {
  const random = seeded("e2e-latency", seed);
  return async (input, init) => {
    await sleep(30 + random() * 40);
    return fetch(input, init);
  };
}
