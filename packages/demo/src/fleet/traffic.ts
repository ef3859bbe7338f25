import type { SessionOutcome, VersionGroup } from "@agent-canary/conventions";
import { makeTask, runSupportSession, seeded, type SessionRunner } from "@agent-canary/example-support-agent";
import { AgentCanaryGuardError, type AgentSession } from "@agent-canary/instrumentation";
import type { Clock } from "@agent-canary/rollout";
import type OpenAI from "openai";
import type { SessionLog } from "../gates/session-log.js";

export interface TrafficOptions {
  client: OpenAI;
  /** The instrumented session runner (an AgentCanary's or register()'s `session`). */
  runSession: SessionRunner;
  /** Sessions running at once. */
  concurrency: number;
  seed: number;
  /** Stamps sessions with the demo's (compressed) time. */
  clock: Clock;
  /** The canary percent the agent's router follows now: each session is labelled with the one it was routed at. */
  canaryPercent: () => number;
  log: SessionLog;
  /** Told of unexpected errors (not guard trips), which end that session as "error". */
  onError: (error: unknown) => void;
}

/**
 * A stand-in for an LLM judge, so the quality gate has scores to compare: an
 * answer that states what the tools found scores about 0.9, one that does
 * not about 0.3, with some rater noise.
 */
function judge(resolved: boolean, random: () => number): number {
  const base = resolved ? 0.9 : 0.3;
  return Math.min(1, Math.max(0, base + (random() - 0.5) * 0.2));
}

interface Running {
  group: VersionGroup;
  startedAt: number;
}

/**
 * Steady support traffic: `concurrency` workers each run one support ticket
 * after another through the instrumented agent until stopped. Unlike the
 * example's batch `runFleet`, it keeps going for as long as the rollout lasts
 * and stamps every session with when it started and ended.
 */
export class Traffic {
  private readonly running = new Map<string, Running>();
  private workers: Promise<void>[] = [];
  private stopped = false;
  private next = 0;
  private readonly random;

  constructor(private readonly options: TrafficOptions) {
    this.random = seeded("demo-traffic", options.seed);
  }

  start(): void {
    this.workers = Array.from({ length: this.options.concurrency }, () => this.work());
  }

  /** Lets every running session finish, then resolves. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.workers);
  }

  /** Sessions running now, by id, with their group and start time (clock ms). */
  inFlight(): ReadonlyMap<string, Running> {
    return this.running;
  }

  private async work(): Promise<void> {
    while (!this.stopped) await this.runOne(`ticket-${this.options.seed}-${this.next++}`);
  }

  private async runOne(id: string): Promise<void> {
    const { clock, log } = this.options;
    const task = makeTask(this.random, id);
    const startedAt = clock.now().getTime();
    const canaryPercent = this.options.canaryPercent();
    const realStart = performance.now();
    let seen: AgentSession | undefined;
    let outcome: SessionOutcome;
    let qualityScore: number | undefined;
    try {
      const result = await this.options.runSession({ id }, async (s) => {
        seen = s;
        this.running.set(id, { group: s.group, startedAt });
        const answer = await runSupportSession(this.options.client, s, task);
        qualityScore = judge(answer.resolved, this.random);
        s.recordQualityScore(qualityScore);
        return answer;
      });
      outcome = result.resolved ? "completed" : "failed";
    } catch (error) {
      if (error instanceof AgentCanaryGuardError) outcome = error.outcome;
      else {
        outcome = "error";
        this.options.onError(error);
      }
    } finally {
      this.running.delete(id);
    }
    if (!seen) return;
    log.add({
      id,
      group: seen.group,
      outcome,
      // Unknown cost (an unpriced call) is unknown, not zero: it stays out of the cost gates.
      costUsd: seen.cost,
      turns: seen.turns,
      canaryPercent,
      durationSeconds: (performance.now() - realStart) / 1000,
      looped: outcome === "loop_detected",
      unsafe: false,
      qualityScore,
      startedAt,
      endedAt: clock.now().getTime(),
    });
  }
}
