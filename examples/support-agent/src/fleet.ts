import type { SessionOutcome, VersionGroup } from "@agent-canary/conventions";
import { AgentCanaryGuardError, type AgentSession, session as registeredSession, type SessionInit } from "@agent-canary/instrumentation";
import type OpenAI from "openai";
import { runSupportSession, type SupportSessionOptions } from "./agent/support-agent.js";
import { makeTask } from "./agent/tasks.js";
import { seeded } from "./model-server/random.js";

/** Runs one agent session: `session` from @agent-canary/instrumentation, or an AgentCanary's `session` method. */
export type SessionRunner = <T>(init: SessionInit, fn: (s: AgentSession) => Promise<T>) => Promise<T>;

export interface FleetOptions extends SupportSessionOptions {
  client: OpenAI;
  /** How many sessions to run in all. */
  sessions: number;
  /** How many run at the same time. Default 8. */
  concurrency?: number;
  /** Seeds the ticket mix; with the model server's seed, a run is reproducible. */
  seed?: number;
  /** Session ids are `${idPrefix}-${n}`. */
  idPrefix?: string;
  /** Tenants assigned round-robin, for per-tenant overrides. */
  tenants?: string[];
  /** Defaults to the registered `session()`. */
  runSession?: SessionRunner;
}

export interface SessionRecord {
  id: string;
  group: VersionGroup;
  outcome: SessionOutcome;
  turns: number;
  costUsd: number | undefined;
}

export interface GroupSummary {
  sessions: number;
  outcomes: Partial<Record<SessionOutcome, number>>;
  /** Mean over sessions whose cost is known. */
  meanCostUsd: number | undefined;
  meanTurns: number;
}

export interface FleetSummary {
  records: SessionRecord[];
  byGroup: Record<VersionGroup, GroupSummary>;
}

/**
 * Runs N support sessions through `session()` with bounded concurrency,
 * returning each session's group, outcome, turns and cost. Guard trips and
 * failed calls end their session with its outcome and do not stop the fleet,
 * and so does any other error the session's function throws (outcome
 * "error"). Without register(), session() still runs every session on the
 * baseline (agent-canary never stops the agent); only an error thrown before
 * a session starts (a custom runSession that fails) rejects the run.
 */
export async function runFleet(options: FleetOptions): Promise<FleetSummary> {
  const run = options.runSession ?? registeredSession;
  const random = seeded("fleet", options.seed ?? 1);
  const prefix = options.idPrefix ?? "fleet";
  const jobs = Array.from({ length: options.sessions }, (_, n) => {
    const id = `${prefix}-${n}`;
    return { id, tenant: options.tenants?.length ? options.tenants[n % options.tenants.length] : undefined, task: makeTask(random, id) };
  });
  const records: SessionRecord[] = [];
  let nextJob = 0;
  const worker = async () => {
    for (let job = jobs[nextJob++]; job; job = jobs[nextJob++]) {
      const { id, tenant, task } = job;
      let seen: AgentSession | undefined;
      let outcome: SessionOutcome;
      try {
        const result = await run({ id, tenant }, (s) => {
          seen = s;
          return runSupportSession(options.client, s, task, options);
        });
        outcome = result.resolved ? "completed" : "failed";
      } catch (error) {
        // No session started (a runSession that failed before calling back): a setup error, not an outcome.
        if (!seen) throw error;
        // A guard trip or a failed call ends this session, not the fleet.
        outcome = error instanceof AgentCanaryGuardError ? error.outcome : "error";
      }
      if (seen) records.push({ id, group: seen.group, outcome, turns: seen.turns, costUsd: seen.cost });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  return { records, byGroup: { baseline: summarise(records, "baseline"), canary: summarise(records, "canary") } };
}

function summarise(records: SessionRecord[], group: VersionGroup): GroupSummary {
  const mine = records.filter((r) => r.group === group);
  const outcomes: Partial<Record<SessionOutcome, number>> = {};
  for (const r of mine) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  const costs = mine.map((r) => r.costUsd).filter((c): c is number => c !== undefined);
  return {
    sessions: mine.length,
    outcomes,
    meanCostUsd: costs.length ? costs.reduce((a, b) => a + b, 0) / costs.length : undefined,
    meanTurns: mine.length ? mine.reduce((a, r) => a + r.turns, 0) / mine.length : 0,
  };
}
