import {
  alertName,
  armsFromSessions,
  evaluateGates,
  type BucketBoundaries,
  type Gate,
  type GateResult,
  type GatesConfig,
} from "@agent-canary/gate-rules";
import { BUCKETS } from "@agent-canary/instrumentation";
import type { FiringGate, GateQuery, GateReport, GateSource } from "@agent-canary/rollout";
import type { SessionLog } from "./session-log.js";

/** The instrumentation's histogram buckets, so p95 figures match what Prometheus would compute. */
const BOUNDARIES: BucketBoundaries = {
  cost: BUCKETS.usd,
  turns: BUCKETS.turns,
  duration: BUCKETS.sessionSeconds,
  quality: BUCKETS.score,
};

export interface GateSnapshot {
  at: Date;
  /** Each gate's verdict; a failing gate says whether it fires yet (its `for` has passed). */
  results: (GateResult & { firing: boolean })[];
  firing: FiringGate[];
}

/**
 * The embedded mode's gate source: the TypeScript evaluator of the same gate
 * config the Prometheus rules come from, over the sessions the fleet recorded.
 * It applies each gate's `for` like Prometheus does: a gate fires once it has
 * failed on every evaluation for that long (on the demo's clock).
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
    const windowOf = (gate: Gate) => armsFromSessions(this.log.endedBetween(now - gate.windowSeconds * 1000, now), BOUNDARIES);
    const results = evaluateGates(this.config, windowOf);
    const failing = results.flatMap((result) => this.failingGate(result, now));
    const firing = failing.filter((f) => f.fires).map((f) => f.gate);
    const pending = failing.filter((f) => !f.fires).map((f) => f.gate);
    const fires = new Set(firing.map((f) => String(f.details?.gate)));
    this.last = { at: query.now, results: results.map((r) => ({ ...r, firing: fires.has(r.gate) })), firing };
    const values: Record<string, number> = {};
    for (const r of results) if (Number.isFinite(r.value)) values[r.gate] = r.value;
    const undecided = results.filter((r) => r.verdict === "insufficient_data").map((r) => r.gate);
    return { firing, pending, undecided, sessions: this.log.countBetween(query.since.getTime(), now), values };
  }

  /** A failing gate, and whether it fires yet (failed on every evaluation for its `for`), like a Prometheus alert. */
  private failingGate(result: GateResult, now: number): { gate: FiringGate; fires: boolean }[] {
    if (result.verdict !== "fail") {
      this.failingSince.delete(result.gate);
      return [];
    }
    const since = this.failingSince.get(result.gate) ?? now;
    this.failingSince.set(result.gate, since);
    const gate = this.config.gates.find((g) => g.name === result.gate);
    if (!gate) return [];
    const details = { gate: result.gate, value: result.value, threshold: result.threshold, statistic: result.statistic, boundary: result.boundary, samples: result.samples };
    return [{ gate: { name: alertName(gate), action: result.action, details }, fires: now - since >= gate.forSeconds * 1000 }];
  }
}
