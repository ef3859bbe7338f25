import { alertName, judgeGates, KIND_SPECS, strataFromSessions, type GateJudgement, type GatesConfig } from "@agent-canary/gate-rules";
import type { FiringGate, GateQuery, GateReport, GateSource } from "@agent-canary/rollout";
import type { SessionLog } from "./session-log.js";

export interface GateSnapshot {
  at: Date;
  /** Each gate's judgement; a failing gate says whether it fires yet (its `for` has passed). */
  results: (GateJudgement & { firing: boolean })[];
  firing: FiringGate[];
}

/**
 * The embedded mode's gate source: the TypeScript evaluator of the same gate
 * config the Prometheus rules come from (the same formulas), over the sessions
 * the fleet recorded in the rollout's look-back, stratified by the canary percent
 * each session was routed at. It applies each gate's `for` like Prometheus does:
 * a gate fires once it has been failing on every evaluation for that long (on the
 * demo's clock).
 */
export class EmbeddedGateSource implements GateSource {
  private readonly failingSince = new Map<string, number>();
  private last: GateSnapshot | undefined;

  constructor(
    private readonly config: GatesConfig,
    private readonly log: SessionLog,
  ) {}

  /** The latest evaluation, for the timeline. */
  get snapshot(): GateSnapshot | undefined {
    return this.last;
  }

  async report(query: GateQuery): Promise<GateReport> {
    const now = query.now.getTime();
    const strata = strataFromSessions(this.log.endedBetween(now - this.config.lookbackSeconds * 1000, now));
    const results = judgeGates(this.config, strata);
    const failing = results.flatMap((result) => this.failingGate(result, now));
    const firing = failing.filter((f) => f.fires).map((f) => f.gate);
    const pending = failing.filter((f) => !f.fires).map((f) => f.gate);
    const fires = new Set(firing.map((f) => String(f.details?.gate)));
    this.last = { at: query.now, results: results.map((r) => ({ ...r, firing: fires.has(r.gate) })), firing };
    const values: Record<string, number> = {};
    for (const r of results) if (Number.isFinite(r.value)) values[r.gate] = r.value;
    // The controller advances only over gates that pass (or that an operator accepted).
    const verdicts = results.map((r) => ({
      gate: r.gate,
      verdict: r.verdict,
      action: r.action,
      passBeforePercent: r.passBeforePercent ?? null,
      ...(Number.isFinite(r.value) ? { value: r.value } : {}),
      samples: r.samples,
      minSamples: r.minSamples,
      // A rate gate's baseline rate is all the controller needs to estimate how long it takes to decide.
      ...(KIND_SPECS[r.kind].family === "rate" && Number.isFinite(r.estimates.baseline) ? { baseline: { mean: r.estimates.baseline } } : {}),
    }));
    return { firing, pending, verdicts, sessions: this.log.countBetween(query.since.getTime(), now), values };
  }

  /** A failing gate, and whether it fires yet (failing on every evaluation for its `for`), like a Prometheus alert. */
  private failingGate(result: GateJudgement, now: number): { gate: FiringGate; fires: boolean }[] {
    if (result.verdict !== "failing") {
      this.failingSince.delete(result.gate);
      return [];
    }
    const since = this.failingSince.get(result.gate) ?? now;
    this.failingSince.set(result.gate, since);
    const gate = this.config.gates.find((g) => g.name === result.gate);
    if (!gate) return [];
    const details = { gate: result.gate, value: result.value, threshold: result.threshold, statistic: result.fail.statistic, boundary: result.fail.boundary, samples: result.samples };
    return [{ gate: { name: alertName(gate), action: result.action, details }, fires: now - since >= gate.forSeconds * 1000 }];
  }
}
