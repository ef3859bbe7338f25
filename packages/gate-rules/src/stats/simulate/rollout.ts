import type { Stage } from "@agent-canary/conventions";
import type { Gate, GatesConfig } from "../../config/resolve.js";
import type { ArmTotals } from "../formula/compile.js";
import { RolloutLedger, vectorReader } from "../inputs/ledger.js";
import { gateEvaluator, judgeGate, verdictOf, type GateJudgement } from "../judge.js";
import { poisson, seededRandom } from "../random.js";
import type { SessionContext, SessionSampler } from "../session-model.js";
import { constantTraffic, route, tenantPicker, type Traffic } from "./traffic.js";

export interface RolloutSimulationOptions {
  config: GatesConfig;
  baseline: SessionSampler;
  canary: SessionSampler;
  /** Sessions per minute (a constant) or a traffic model (daily cycle, incidents, tenants). */
  traffic: Traffic | number;
  seed: number;
  /** Defaults to the config's plan; each stage lasts its minDurationSeconds, and 100% ends the comparison. */
  stages?: readonly Stage[];
  /** The traffic clock's minute at which the rollout starts (a phase of the daily cycle). */
  startMinute?: number;
  /** Only these gates (by name); all by default. */
  gates?: readonly string[];
  /** Go on after the first firing, to see when every gate fires or passes. */
  untilEnd?: boolean;
  /** A salt for tenant routing slots (a new rollout reshuffles them). */
  salt?: number;
  /**
   * Minutes of baseline-only traffic before the rollout starts (the day of
   * production before a canary). The agents label those sessions with no
   * rollout (assignment no_rollout, rollout_id of none or an earlier rollout),
   * so the rules count them under another rollout: they never meet this one.
   */
  before?: number;
}

export interface GateFiring {
  gate: string;
  action: Gate["action"];
  /** Minutes since the rollout started. */
  minute: number;
  stage: number;
  canaryPercent: number;
  /** Canary sessions of the rollout so far (split or not). */
  canarySessions: number;
  judgement: GateJudgement;
}

export interface GatePassing {
  minute: number;
  canarySessions: number;
  canaryPercent: number;
}

export interface RolloutSimulationResult {
  /** The first gate to fire (the rollout stops there unless untilEnd), or undefined. */
  firing: GateFiring | undefined;
  /** Each gate's first firing, when untilEnd. */
  firings: GateFiring[];
  /** The first evaluation at which each gate was passing. */
  passed: Map<string, GatePassing>;
  minutes: number;
  canarySessions: number;
  baselineSessions: number;
  ledger: RolloutLedger;
}

/** Minutes since the start, and the stage in force then; the plan stops at 100%. */
function* schedule(stages: readonly Stage[]): Generator<{ minute: number; stage: number; percent: number }> {
  let minute = 0;
  for (const [index, stage] of stages.entries()) {
    if (stage.percent >= 100) return;
    const end = minute + Math.max(1, Math.round(stage.minDurationSeconds / 60));
    for (; minute < end; minute++) yield { minute, stage: index, percent: stage.percent };
  }
}

interface Watched {
  gate: Gate;
  read: (v: Float64Array) => ArmTotals;
  evaluate: ReturnType<typeof gateEvaluator>;
  failingFor: number;
  fired: boolean;
}

/**
 * Runs one simulated rollout minute by minute: sessions arrive, are routed by
 * the stage's percent (or a tenant override or a routing key), are counted as
 * the agents label them (rollout, canary percent, assignment), pass through the
 * recording rules' input layer (RolloutLedger), and every gate is judged every
 * evaluation with the formulas the rules evaluate; a gate fires once it has been
 * failing for its `for`, as a Prometheus alert does.
 */
export function simulateRollout(options: RolloutSimulationOptions): RolloutSimulationResult {
  const { config } = options;
  const rng = seededRandom(options.seed);
  const traffic = typeof options.traffic === "number" ? constantTraffic(options.traffic) : options.traffic;
  const pickTenant = traffic.tenants ? tenantPicker(traffic.tenants.shares) : undefined;
  const gates = config.gates.filter((g) => !options.gates || options.gates.includes(g.name));
  if (gates.length === 0) throw new Error(`no gate named ${options.gates?.join(", ")} in the config`);
  const every = Math.max(1, Math.round(config.evaluationSeconds / 60));
  const ledger = new RolloutLedger(Math.max(1, Math.round(config.rateRangeSeconds / 60 / every)), Math.round(config.lookbackSeconds / 60 / every));
  const watched: Watched[] = gates.map((gate) => ({ gate, read: vectorReader(gate), evaluate: gateEvaluator(gate), failingFor: 0, fired: false }));
  const result: RolloutSimulationResult = { firing: undefined, firings: [], passed: new Map(), minutes: 0, canarySessions: 0, baselineSessions: 0, ledger };
  const start = options.startMinute ?? 0;
  const context: SessionContext = {};
  const before = options.before ?? 0;
  const history = new RolloutLedger(ledger.rateSteps, ledger.lookbackSteps);
  for (let minute = -before; minute < 0; minute++) {
    context.effects = traffic.effects?.(start + minute);
    const arrivals = poisson(rng, traffic.perMinute(start + minute));
    for (let i = 0; i < arrivals; i++) {
      context.tenant = pickTenant?.(rng);
      history.add(options.baseline(rng, "baseline", context), 0, "no_rollout");
    }
    history.evaluate();
  }
  for (const { minute, stage, percent } of schedule(options.stages ?? config.rollout.stages)) {
    const clock = start + minute;
    context.effects = traffic.effects?.(clock);
    const arrivals = poisson(rng, traffic.perMinute(clock));
    for (let i = 0; i < arrivals; i++) {
      const tenant = pickTenant?.(rng);
      const { group, assignment } = route(rng, percent, tenant, traffic.tenants, options.salt ?? options.seed);
      if (group === "canary") result.canarySessions++;
      else result.baselineSessions++;
      context.tenant = tenant;
      ledger.add((group === "canary" ? options.canary : options.baseline)(rng, group, context), percent, assignment);
    }
    result.minutes = minute + 1;
    if (result.minutes % every !== 0) continue;
    ledger.evaluate();
    for (const w of watched) {
      if (w.fired) continue;
      const { verdict } = verdictOf(w.gate, w.evaluate(ledger.formulaInput(w.read)));
      if (verdict === "passing" && !result.passed.has(w.gate.name)) result.passed.set(w.gate.name, { minute: result.minutes, canarySessions: result.canarySessions, canaryPercent: percent });
      w.failingFor = verdict === "failing" ? w.failingFor + 1 : 0;
      // Prometheus fires once the condition has held for `for`: that many more evaluations after the first.
      if (w.failingFor <= Math.floor(w.gate.forSeconds / (every * 60))) continue;
      w.fired = true;
      const firing: GateFiring = {
        gate: w.gate.name,
        action: w.gate.action,
        minute: result.minutes,
        stage,
        canaryPercent: percent,
        canarySessions: result.canarySessions,
        judgement: judgeGate(w.gate, ledger.current(), ledger.span),
      };
      result.firings.push(firing);
      result.firing ??= firing;
      if (!options.untilEnd) return result;
    }
  }
  return result;
}
