import { setTimeout as sleep } from "node:timers/promises";
import { versionHash, VersionSpecSchema } from "@agent-canary/conventions";
import { planSeconds, type GatesConfig } from "@agent-canary/gate-rules";
import type { Logger } from "@agent-canary/instrumentation";
import { scaledClock, startRollout, type Clock, type GateOutlook, type RolloutResult } from "@agent-canary/rollout";
import { acceptGate, start, transition, type RolloutState } from "@agent-canary/rollout-state";
import { BASE_TIME_FACTOR, DEMO_BASELINE, DEMO_CANARY, DEMO_RECORDS_DIR, DEPLOYMENT } from "./config.js";
import { drainProblems, drainReport, type DrainReport } from "./drain.js";
import { startAgentSide, type AgentSide } from "./fleet/agent.js";
import { Traffic } from "./fleet/traffic.js";
import type { SessionLog } from "./gates/session-log.js";
import type { OpsSide } from "./ops/ops-side.js";
import { formatSimulated } from "./report/format.js";
import { scenarioHeader } from "./report/header.js";
import type { ScenarioOutcome, ScenarioSummary } from "./report/summary.js";
import { Timeline } from "./report/timeline.js";
import type { Scenario } from "./scenarios.js";

export interface RunSettings {
  seed: number;
  concurrency: number;
  /** Multiplies the base time compression. */
  speed: number;
  /** Where the timeline goes; undefined prints nothing (--json). */
  write: ((line: string) => void) | undefined;
  /** Aborted on Ctrl-C: the rollout stops, sessions finish, servers and temp dirs are cleaned up. */
  signal: AbortSignal;
}

/** Real milliseconds between two evaluations of the controller. */
const TICK_REAL_MS = 250;
/** Real milliseconds of traffic after a rollback, to show where new sessions go. */
const AFTER_ROLLBACK_REAL_MS = 1500;
/** A held rollout makes no progress: it is stopped once it has been paused this many plans' time. */
const HELD_PLANS = 1;
/** A hang guard: whatever the machine's speed, a scenario ends after this many plans' time. */
const HORIZON_PLANS = 10;
/** Drain timeout written into the state: long enough that in-flight sessions finish on their own. */
const DRAIN_TIMEOUT_SECONDS = 600;

/** A version as the state keeps it: its hash, and its spec so the deployment record says what changed. */
const ref = (spec: typeof DEMO_BASELINE) => ({ hash: versionHash(spec), ...(spec.label ? { label: spec.label } : {}), spec: VersionSpecSchema.parse(spec) });

/** Agent warnings go to the timeline; its debug and info chatter does not. */
function agentLogger(timeline: Timeline): Logger {
  const say = (message: string) => timeline.line(`agent: ${message}`);
  return { debug: () => undefined, info: () => undefined, warn: say, error: say };
}

/** Writes the start transition before traffic flows, so the first sessions already see the rollout. */
async function startState(ops: OpsSide, config: GatesConfig, clock: Clock, seed: number): Promise<void> {
  await transition(
    ops.store,
    DEPLOYMENT,
    start({ deployment: DEPLOYMENT, baseline: ref(DEMO_BASELINE), canary: ref(DEMO_CANARY), stages: [...config.rollout.stages], drainTimeoutSeconds: DRAIN_TIMEOUT_SECONDS, salt: `demo-${seed}` }),
    { by: "cli:demo", reason: `demo: start rollout of ${versionHash(DEMO_CANARY)}` },
    { now: () => clock.now() },
  );
}

/**
 * Stops the controller when the rollout has been held (paused) for a plan's
 * time, or at the horizon. A rollout that progresses slowly on a slow machine
 * is left alone: it still waits for its sessions.
 */
function horizonGuard(stop: (reason: string) => void, ops: OpsSide, clock: Clock, factor: number): NodeJS.Timeout {
  const plan = planSeconds(ops.config.rollout.stages) * 1000;
  const started = clock.now().getTime();
  let pausedSince: number | undefined;
  const timer = setInterval(() => {
    void ops.store.read(DEPLOYMENT).then((state) => {
      const now = clock.now().getTime();
      pausedSince = state?.phase === "paused" ? (pausedSince ?? now) : undefined;
      if (pausedSince !== undefined && now - pausedSince > HELD_PLANS * plan) stop(`held for ${formatSimulated(plan / 1000)} of rollout time`);
      else if (now - started > HORIZON_PLANS * plan) {
        // Sessions take real time while the clock runs `factor` times faster: too fast a clock starves the stages of sessions.
        stop(`no decision after ${HORIZON_PLANS} plans' time: this machine ran too few sessions per rollout hour at ${formatSimulated(factor)} of rollout per real second; try a lower --speed`);
      }
    }, () => undefined);
  }, 500);
  return timer;
}

/** Real milliseconds the agent's router gets to learn of a rollback before the demo calls it a failure. */
const ROUTER_PATIENCE_MS = 10_000;

/** Waits until this agent's router has seen the rollback; returns when (demo clock ms), or undefined if it never did. */
async function routerSawRollback(agent: AgentSide, clock: Clock): Promise<number | undefined> {
  const deadline = performance.now() + ROUTER_PATIENCE_MS;
  while (performance.now() < deadline) {
    if (agent.rolloutState()?.phase === "rolled_back") return clock.now().getTime();
    await sleep(5);
  }
  return undefined;
}

/**
 * The demo's operator: when the controller says a gate cannot pass within the
 * plan at the demo's traffic (a few sessions per rollout hour: rare events such
 * as loops need tens of thousands of canary sessions to be shown not worse), it
 * accepts that gate for this rollout, audited with the estimate, as a person
 * would with `agent-canary rollout accept`. The gates that can decide still
 * have to pass, and every gate still fails and rolls back a regression.
 */
function demoOperator(ops: OpsSide, clock: Clock, timeline: Timeline) {
  return async (gates: GateOutlook[]) => {
    for (const gate of gates) {
      const needs = Number.isFinite(gate.hours) ? `~${Math.ceil(gate.canarySessions)} more canary sessions, ~${Math.round(gate.hours)} h` : "more sessions than any plan has";
      const reason = `the demo's traffic cannot show it not worse within the plan: it needs ${needs} at ${gate.atPercent}%`;
      await transition(ops.store, DEPLOYMENT, acceptGate(DEPLOYMENT, gate.gate, { by: "cli:demo", reason }), { by: "cli:demo", reason }, { now: () => clock.now() });
      timeline.line(`operator: accepts the undecided ${gate.gate} gate for this rollout (${reason})`);
    }
  };
}

/** Runs the controller until the rollout ends, the horizon passes, or Ctrl-C. */
async function driveRollout(ops: OpsSide, clock: Clock, factor: number, timeline: Timeline, signal: AbortSignal): Promise<RolloutResult> {
  const run = startRollout({
    store: ops.store,
    deployment: DEPLOYMENT,
    gates: ops.gates,
    clock,
    intervalMs: TICK_REAL_MS * factor,
    log: timeline,
    by: "controller:demo",
    archiveDir: DEMO_RECORDS_DIR,
    outlook: { config: ops.config, limitHours: planSeconds(ops.config.rollout.stages) / 3600, onUndecidable: demoOperator(ops, clock, timeline) },
  });
  let guardReason: string | undefined;
  const guard = horizonGuard(
    (reason) => {
      guardReason ??= reason;
      run.stop();
    },
    ops,
    clock,
    factor,
  );
  const interrupt = () => run.stop();
  signal.addEventListener("abort", interrupt, { once: true });
  if (signal.aborted) run.stop();
  try {
    const result = await run.done;
    return result.kind === "stopped" && guardReason ? { ...result, reason: guardReason } : result;
  } finally {
    clearInterval(guard);
    signal.removeEventListener("abort", interrupt);
  }
}

function outcomeOf(result: RolloutResult, state: RolloutState | undefined): ScenarioOutcome {
  if (result.kind === "rolled_back" || result.kind === "promoted") return result.kind;
  return state?.phase === "paused" ? "held" : "stopped";
}

export async function runScenario(scenario: Scenario, ops: OpsSide, settings: RunSettings, log: SessionLog): Promise<ScenarioSummary> {
  const config = ops.config;
  const factor = BASE_TIME_FACTOR * settings.speed;
  const clock = scaledClock(factor);
  const origin = clock.now().getTime();
  const realStart = performance.now();
  const timeline = new Timeline({ clock, origin, gates: () => ops.gateView(), write: settings.write });
  const clockText = `clock: ${formatSimulated(factor)} of rollout per real second; ${ops.description}`;
  for (const line of scenarioHeader(scenario, config, DEMO_BASELINE, DEMO_CANARY, clockText)) settings.write?.(line);

  // The state first, so the agent's very first sessions already follow the rollout.
  await startState(ops, config, clock, settings.seed);
  timeline.line(`▶ rollout started: canary at ${config.rollout.stages[0]?.percent ?? 0}%`);
  const agent = await startAgentSide(scenario, { seed: settings.seed, store: ops.store, logger: agentLogger(timeline) });
  const traffic = new Traffic({
    client: agent.client,
    runSession: agent.runSession,
    concurrency: settings.concurrency,
    seed: settings.seed,
    clock,
    canaryPercent: () => agent.rolloutState()?.canaryPercent ?? 0,
    log,
    onError: (error) => timeline.line(`! session error: ${error instanceof Error ? error.message : String(error)}`),
  });
  try {
    traffic.start();
    const result = await driveRollout(ops, clock, factor, timeline, settings.signal);
    const endedAt = clock.now().getTime();
    const state = await ops.store.read(DEPLOYMENT);
    announceWriter(result, state, timeline);
    const drain = result.kind === "rolled_back" ? await watchDrain(agent, traffic, log, clock, endedAt, timeline) : undefined;
    await traffic.stop();
    return summarise(scenario, result, state, log, ops, drain, {
      simulatedSeconds: (clock.now().getTime() - origin) / 1000,
      realSeconds: (performance.now() - realStart) / 1000,
    });
  } finally {
    await traffic.stop();
    await agent.close();
  }
}

/**
 * Who wrote the final transition: with --stack the receiver (told by
 * Alertmanager) and the controller (reading the same alerts) race to roll
 * back, and either is correct; the state's last transition says who won.
 */
function announceWriter(result: RolloutResult, state: RolloutState | undefined, timeline: Timeline): void {
  const t = state?.lastTransition;
  if (!t || (result.kind !== "rolled_back" && result.kind !== "promoted")) return;
  timeline.line(`state: ${state.phase} at ${t.toPercent}%, written by ${t.by} (${t.reason})`);
}

/**
 * After a rollback: keep traffic flowing a moment, then report where sessions
 * went. `rolledBackAt` is when the demo learned of the rollback, on its own
 * clock (the receiver stamps the state with real time, the controller with
 * the compressed one).
 */
async function watchDrain(agent: AgentSide, traffic: Traffic, log: SessionLog, clock: Clock, rolledBackAt: number, timeline: Timeline): Promise<DrainReport> {
  const sawAt = await routerSawRollback(agent, clock);
  const running = [...traffic.inFlight().values()].filter((r) => r.group === "canary").length;
  timeline.line(
    sawAt === undefined
      ? "drain: ! the agent's router did not learn of the rollback"
      : `drain: the agent's router saw the rollback; ${running} canary sessions still running, new sessions go to baseline`,
  );
  await sleep(AFTER_ROLLBACK_REAL_MS);
  await traffic.stop();
  const report = drainReport(log.all(), rolledBackAt, sawAt);
  const outcomes = Object.entries(report.inFlightOutcomes).map(([o, n]) => `${n} ${o}`).join(", ") || "none";
  timeline.line(`drain: ${report.inFlightCanary} canary sessions in flight at the rollback finished on canary (${outcomes})`);
  timeline.line(`drain: sessions started since the router saw it: ${report.startedAfter.baseline} baseline, ${report.startedAfter.canary} canary`);
  return report;
}

function summarise(
  scenario: Scenario,
  result: RolloutResult,
  state: RolloutState | undefined,
  log: SessionLog,
  ops: OpsSide,
  drain: DrainReport | undefined,
  time: { simulatedSeconds: number; realSeconds: number },
): ScenarioSummary {
  const outcome = outcomeOf(result, state);
  const problems: string[] = [];
  if (outcome !== scenario.expect) problems.push(`expected ${scenario.expect}, ended ${outcome} (${result.reason})`);
  if (drain) problems.push(...drainProblems(drain));
  const sessions = { baseline: 0, canary: 0 };
  for (const s of log.all()) sessions[s.group] += 1;
  const last = state?.lastTransition;
  return {
    scenario: scenario.name,
    expected: scenario.expect,
    outcome,
    ok: problems.length === 0,
    firedGates: outcome === "rolled_back" || outcome === "held" ? ops.firedGates() : [],
    // Rollback and promotion both leave the canary percent at 0; the percent it ended from is the story.
    lastPercent: outcome === "rolled_back" || outcome === "promoted" ? (last?.fromPercent ?? 0) : (state?.canaryPercent ?? 0),
    stagesPassed: outcome === "promoted" ? (state?.stages.length ?? 0) : (state?.stage ?? 0),
    sessions,
    simulatedSeconds: time.simulatedSeconds,
    realSeconds: time.realSeconds,
    ...(drain ? { drain } : {}),
    problems,
  };
}
